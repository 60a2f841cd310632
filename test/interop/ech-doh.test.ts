/**
 * fetchEchConfigList against a local DoH server (node:http on 127.0.0.1) that answers RFC 8484
 * GET requests with DNS responses built here byte by byte, and, where the dnspython wheel is on
 * disk, with responses encoded by dnspython (an independent DNS implementation).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEchConfigList } from '../../src/ech/config.ts';
import { fetchEchConfigList } from '../../src/ech/doh.ts';
import { TlsError } from '../../src/error.ts';
import { fromBase64, toHex } from '../../src/util/bytes.ts';

/** OpenSSL's test ECHConfigList (test/ech_test.c pem_pk1). */
const ECH_A = fromBase64(
  'AD7+DQA6bAAgACCY7B0f/3KvHIFdoqFaObdU8YYU+MdBf4vzbLhAAL2QCwAEAAEAAQALZXhhbXBsZS5jb20AAA==',
);
const ECH_B = Uint8Array.from(ECH_A, (b, i) => (i === 6 ? 0x01 : b)); // config_id 1

const DNSPYTHON = '/opt/pypi/files/dnspython-2.8.0-py3-none-any.whl';

const u16 = (v: number) => [v >> 8, v & 0xff];
const u32 = (v: number) => [...u16(v >>> 16), ...u16(v & 0xffff)];
/** Uncompressed wire name. */
const wireName = (name: string) => [
  ...name.split('.').flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]),
  0,
];
/** A resource record: owner bytes (a name or a pointer), type, class IN, TTL 300, RDATA. */
const rr = (owner: number[], type: number, rdata: number[]) => [
  ...owner,
  ...u16(type),
  ...u16(1),
  ...u32(300),
  ...u16(rdata.length),
  ...rdata,
];
/** HTTPS RDATA: priority, uncompressed target, params as [key, value] in the given order. */
const https = (priority: number, target: string, params: [number, number[]][]) => [
  ...u16(priority),
  ...(target === '.' ? [0] : wireName(target)),
  ...params.flatMap(([k, v]) => [...u16(k), ...u16(v.length), ...v]),
];
const PTR_QNAME = [0xc0, 12]; // the question's name starts right after the 12-byte header

interface Reply {
  status?: number;
  type?: string;
  rcode?: number;
  answers?: number[][];
  /** A complete body instead of one built from the question. */
  raw?: (question: Uint8Array) => Uint8Array;
  /** Never answer. */
  hang?: boolean;
}

/** What each name answers. */
const zone = new Map<string, Reply>();
const seen: { name: string; id: number; accept?: string; method?: string; dns: string }[] = [];
let server: Server;
let resolver: string;
const hung: ServerResponse[] = [];

/** Parses the query just enough to answer it: header, one question. */
function parseQuery(q: Uint8Array): { id: number; name: string; question: Uint8Array } {
  const id = (q[0] << 8) | q[1];
  let at = 12;
  const labels: string[] = [];
  while (q[at] !== 0) {
    labels.push(String.fromCharCode(...q.subarray(at + 1, at + 1 + q[at])));
    at += 1 + q[at];
  }
  at += 5; // the root label, QTYPE, QCLASS
  return { id, name: labels.join('.'), question: q.subarray(12, at) };
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const dns = url.searchParams.get('dns') ?? '';
  const query = fromBase64(
    dns
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(dns.length / 4) * 4, '='),
  );
  const { id, name, question } = parseQuery(query);
  seen.push({ name, id, accept: req.headers.accept, method: req.method, dns });
  const reply = zone.get(name) ?? { rcode: 3 };
  if (reply.hang) {
    hung.push(res);
    return;
  }
  if (reply.status) {
    res.writeHead(reply.status, { 'content-type': 'text/plain' }).end('no');
    return;
  }
  const answers = reply.answers ?? [];
  const body = reply.raw
    ? reply.raw(question)
    : Uint8Array.from([
        ...u16(0),
        ...u16(0x8180 | (reply.rcode ?? 0)), // QR, RD, RA
        ...u16(1),
        ...u16(answers.length),
        ...u16(0),
        ...u16(0),
        ...question,
        ...answers.flat(),
      ]);
  res.writeHead(200, { 'content-type': reply.type ?? 'application/dns-message' });
  res.end(body);
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resolver = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dns-query`;
});

afterAll(async () => {
  for (const r of hung) r.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function lookup(name: string, timeoutMs = 5000): Promise<Uint8Array | undefined> {
  return fetchEchConfigList(name, { resolver, timeoutMs });
}

async function lookupError(name: string, timeoutMs = 5000): Promise<TlsError> {
  const err = await lookup(name, timeoutMs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TlsError);
  return err as TlsError;
}

describe('fetchEchConfigList over RFC 8484 GET', () => {
  it('returns the ech SvcParam of a ServiceMode HTTPS record and sends a proper query', async () => {
    zone.set('svc.example', {
      answers: [
        rr(
          PTR_QNAME,
          65,
          https(1, '.', [
            [1, [2, 0x68, 0x32]],
            [5, [...ECH_A]],
          ]),
        ),
      ],
    });
    const got = await lookup('SVC.example.');
    expect(toHex(got!)).toBe(toHex(ECH_A));
    expect(decodeEchConfigList(got!)[0].contents.publicName).toBe('example.com');
    const q = seen.at(-1)!;
    expect(q).toMatchObject({ name: 'svc.example', id: 0, method: 'GET' });
    expect(q.accept).toBe('application/dns-message');
    expect(q.dns).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding (RFC 8484 §4.1.1)
  });

  it('follows a CNAME in the answer section', async () => {
    const target = wireName('real.example');
    zone.set('cname.example', {
      answers: [
        rr(PTR_QNAME, 5, target),
        // The HTTPS owner is a pointer to the CNAME's RDATA (offset: header 12 + question
        // (15 + 4) + owner 2 + type/class/ttl/len 10).
        rr([0xc0, 12 + 19 + 12], 65, https(1, '.', [[5, [...ECH_B]]])),
      ],
    });
    expect(toHex((await lookup('cname.example'))!)).toBe(toHex(ECH_B));
  });

  it('follows an AliasMode record with a second query', async () => {
    zone.set('alias.example', { answers: [rr(PTR_QNAME, 65, https(0, 'svc.example', []))] });
    const before = seen.length;
    expect(toHex((await lookup('alias.example'))!)).toBe(toHex(ECH_A));
    expect(seen.slice(before).map((s) => s.name)).toEqual(['alias.example', 'svc.example']);
  });

  it('stops an AliasMode loop', async () => {
    zone.set('loop1.example', { answers: [rr(PTR_QNAME, 65, https(0, 'loop2.example', []))] });
    zone.set('loop2.example', { answers: [rr(PTR_QNAME, 65, https(0, 'loop1.example', []))] });
    expect((await lookupError('loop1.example')).code).toBe('TRANSPORT');
  });

  it('prefers the lowest SvcPriority', async () => {
    zone.set('prio.example', {
      answers: [
        rr(PTR_QNAME, 65, https(2, '.', [[5, [...ECH_A]]])),
        rr(PTR_QNAME, 65, https(1, 'other.example', [[5, [...ECH_B]]])),
      ],
    });
    expect(toHex((await lookup('prio.example'))!)).toBe(toHex(ECH_B));
  });

  it('returns undefined for NXDOMAIN, no HTTPS record, and a record without ech', async () => {
    expect(await lookup('missing.example')).toBeUndefined();
    zone.set('empty.example', { answers: [] });
    expect(await lookup('empty.example')).toBeUndefined();
    zone.set('noech.example', {
      answers: [rr(PTR_QNAME, 65, https(1, '.', [[1, [2, 0x68, 0x32]]]))],
    });
    expect(await lookup('noech.example')).toBeUndefined();
  });

  it('rejects malformed answers with DECODE_ERROR', async () => {
    zone.set('order.example', {
      answers: [
        rr(
          PTR_QNAME,
          65,
          https(1, '.', [
            [5, [...ECH_A]],
            [1, [2, 0x68, 0x32]],
          ]),
        ),
      ],
    });
    expect((await lookupError('order.example')).code).toBe('DECODE_ERROR');
    zone.set('dup.example', {
      answers: [
        rr(
          PTR_QNAME,
          65,
          https(1, '.', [
            [5, [1]],
            [5, [2]],
          ]),
        ),
      ],
    });
    expect((await lookupError('dup.example')).code).toBe('DECODE_ERROR');
    // An owner name that points at itself.
    zone.set('ptrloop.example', {
      answers: [
        rr(
          [0xc0, 12 + wireName('ptrloop.example').length + 4],
          65,
          https(1, '.', [[5, [...ECH_A]]]),
        ),
      ],
    });
    expect((await lookupError('ptrloop.example')).code).toBe('DECODE_ERROR');
    // A compressed TargetName (RFC 9460 §2.2 forbids it).
    zone.set('ctarget.example', {
      answers: [rr(PTR_QNAME, 65, [...u16(1), ...PTR_QNAME, ...u16(5), ...u16(1), 0])],
    });
    expect((await lookupError('ctarget.example')).code).toBe('DECODE_ERROR');
    // RDATA running past the message.
    zone.set('cut.example', {
      raw: (question) =>
        Uint8Array.from([
          ...u16(0),
          ...u16(0x8180),
          ...u16(1),
          ...u16(1),
          0,
          0,
          0,
          0,
          ...question,
          ...PTR_QNAME,
          ...u16(65),
          ...u16(1),
          ...u32(1),
          ...u16(40),
          0,
          1,
        ]),
    });
    expect((await lookupError('cut.example')).code).toBe('DECODE_ERROR');
    // An answer to another question.
    zone.set('other-q.example', {
      raw: () =>
        Uint8Array.from([
          ...u16(0),
          ...u16(0x8180),
          ...u16(1),
          ...u16(0),
          0,
          0,
          0,
          0,
          ...wireName('svc.example'),
          ...u16(65),
          ...u16(1),
        ]),
    });
    expect((await lookupError('other-q.example')).code).toBe('DECODE_ERROR');
  });

  it('reports resolver failures as TRANSPORT', async () => {
    zone.set('servfail.example', { rcode: 2 });
    expect((await lookupError('servfail.example')).code).toBe('TRANSPORT');
    zone.set('http500.example', { status: 500 });
    expect((await lookupError('http500.example')).code).toBe('TRANSPORT');
    zone.set('html.example', { type: 'text/html', answers: [] });
    expect((await lookupError('html.example')).code).toBe('TRANSPORT');
    zone.set('huge.example', { raw: () => new Uint8Array(70_000) });
    expect((await lookupError('huge.example')).code).toBe('TRANSPORT');
    const dead = await fetchEchConfigList('svc.example', {
      resolver: 'http://127.0.0.1:9/dns-query',
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect((dead as TlsError).code).toBe('TRANSPORT');
  });

  it('gives up after timeoutMs on a resolver that never answers', async () => {
    zone.set('slow.example', { hang: true });
    const t0 = Date.now();
    const err = await lookupError('slow.example', 300);
    expect(err.code).toBe('TRANSPORT');
    expect(err.message).toMatch(/timed out/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it.skipIf(!existsSync(DNSPYTHON))('reads an HTTPS record encoded by dnspython', async () => {
    const py = [
      'import sys, base64, dns.message, dns.rrset',
      'q = dns.message.from_wire(base64.b64decode(sys.argv[1]))',
      'r = dns.message.make_response(q)',
      "r.answer.append(dns.rrset.from_text('py.example.', 300, 'IN', 'CNAME', 'py2.example.'))",
      "r.answer.append(dns.rrset.from_text('py2.example.', 300, 'IN', 'HTTPS',",
      "  '1 . alpn=h2,h3 ech=' + sys.argv[2] + ' ipv4hint=127.0.0.1 ipv6hint=::1'))",
      'sys.stdout.write(base64.b64encode(r.to_wire()).decode())',
    ].join('\n');
    zone.set('py.example', {
      raw: (question) => {
        const query = Uint8Array.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...question]);
        const out = execFileSync(
          'python3',
          ['-c', py, Buffer.from(query).toString('base64'), Buffer.from(ECH_B).toString('base64')],
          { env: { ...process.env, PYTHONPATH: DNSPYTHON }, timeout: 20_000 },
        );
        return fromBase64(out.toString());
      },
    });
    expect(toHex((await lookup('py.example'))!)).toBe(toHex(ECH_B));
  });
});
