import { describe, expect, it } from 'vitest';
import { decodeDnsResponse, decodeSvcb, encodeDnsQuery } from '../../src/ech/dns.ts';
import { fetchEchConfigList } from '../../src/ech/doh.ts';
import { TlsError } from '../../src/error.ts';
import { fromBase64, toHex } from '../../src/util/bytes.ts';

const u16 = (v: number) => [v >> 8, v & 0xff];
const name = (n: string) => [
  ...n.split('.').flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]),
  0,
];
/** A response header (QR RD RA, RCODE) with one question for `q` type 65 and `answers`. */
function response(q: string, answers: number[][], rcode = 0): Uint8Array {
  return Uint8Array.from([
    ...u16(0),
    ...u16(0x8180 | rcode),
    ...u16(1),
    ...u16(answers.length),
    0,
    0,
    0,
    0,
    ...name(q),
    ...u16(65),
    ...u16(1),
    ...answers.flat(),
  ]);
}
const rr = (owner: number[], type: number, rdata: number[]) => [
  ...owner,
  ...u16(type),
  ...u16(1),
  0,
  0,
  1,
  0,
  ...u16(rdata.length),
  ...rdata,
];

function decodeFails(msg: Uint8Array): void {
  let err: unknown;
  try {
    decodeDnsResponse(msg);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TlsError);
  expect((err as TlsError).code).toBe('DECODE_ERROR');
}

describe('DNS wire codec (RFC 1035 §4.1, RFC 9460 §2.2)', () => {
  it('encodes a one-question query with ID 0 and RD', () => {
    expect(toHex(encodeDnsQuery('A.example.', 65))).toBe(
      `000001000001000000000000${toHex(Uint8Array.from(name('A.example')))}00410001`,
    );
    expect(() => encodeDnsQuery('a..b', 65)).toThrow(TlsError);
    expect(() => encodeDnsQuery(`${'a'.repeat(64)}.example`, 65)).toThrow(TlsError);
    expect(() => encodeDnsQuery(Array(130).fill('a').join('.'), 65)).toThrow(TlsError);
  });

  it('decodes answers with compressed owner names, lower-cased', () => {
    const msg = response('Svc.Example', [rr([0xc0, 12], 65, [0, 1, 0])]);
    const r = decodeDnsResponse(msg);
    expect(r.question).toEqual([{ name: 'svc.example', type: 65, class: 1 }]);
    expect(r.answers[0]).toMatchObject({ name: 'svc.example', type: 65, ttl: 256 });
  });

  it('rejects loops, forward pointers, long names and truncation', () => {
    // A pointer to itself (offset of the answer's owner).
    const at = 12 + name('a.example').length + 4;
    decodeFails(response('a.example', [rr([0xc0, at], 65, [0, 1, 0])]));
    // A pointer forward, past the current name.
    decodeFails(response('a.example', [rr([0xc0, at + 5], 65, [0, 1, 0])]));
    // The 0x40/0x80 label types.
    decodeFails(response('a.example', [rr([0x40], 65, [0, 1, 0])]));
    // A name longer than 255 octets, spelled out in labels of 63.
    const long = Array(5).fill('x'.repeat(63)).join('.');
    decodeFails(response('a.example', [rr(name(long), 65, [0, 1, 0])]));
    const ok = response('a.example', [rr([0xc0, 12], 65, [0, 1, 0])]);
    for (let n = 0; n < ok.length; n++) decodeFails(ok.subarray(0, n));
    // A query is not a response; TC is refused.
    const query = ok.slice();
    query[2] &= 0x7f;
    decodeFails(query);
    const tc = ok.slice();
    tc[2] |= 0x02;
    decodeFails(tc);
  });

  it('decodes SVCB RDATA and enforces strictly increasing keys', () => {
    const rd = Uint8Array.from([...u16(1), ...name('t.example'), ...u16(1), ...u16(1), 7]);
    const s = decodeSvcb(rd);
    expect(s.priority).toBe(1);
    expect(s.target).toBe('t.example');
    expect([...s.params.entries()]).toEqual([[1, Uint8Array.of(7)]]);
    expect(decodeSvcb(Uint8Array.from([0, 0, 0])).target).toBe('');
    const bad = [
      [...u16(1), 0, ...u16(5), ...u16(0), ...u16(1), ...u16(0)], // 5 then 1
      [...u16(1), 0, ...u16(5), ...u16(0), ...u16(5), ...u16(0)], // 5 twice
      [...u16(1), 0, ...u16(5), ...u16(3), 1], // value past the end
      [...u16(1), 0xc0, 0], // compressed TargetName
    ];
    for (const b of bad) expect(() => decodeSvcb(Uint8Array.from(b))).toThrow(TlsError);
  });
});

describe('fetchEchConfigList with an injected fetch', () => {
  const ech = fromBase64('AAT+DQAA');
  const answer = response('svc.example', [
    rr([0xc0, 12], 65, [...u16(1), 0, ...u16(5), ...u16(ech.length), ...ech]),
  ]);

  function fakeFetch(body: Uint8Array, status = 200, type = 'application/dns-message') {
    const urls: string[] = [];
    const f = (async (input: RequestInfo | URL) => {
      urls.push(String(input));
      return new Response(body as Uint8Array<ArrayBuffer>, {
        status,
        headers: { 'content-type': type },
      });
    }) as typeof fetch;
    return { f, urls };
  }

  it('sends an RFC 8484 GET and returns the ech value', async () => {
    const { f, urls } = fakeFetch(answer);
    const got = await fetchEchConfigList('svc.example', {
      resolver: 'https://r.example/q',
      fetch: f,
    });
    expect(toHex(got!)).toBe(toHex(ech));
    const url = new URL(urls[0]);
    expect(url.origin + url.pathname).toBe('https://r.example/q');
    const dns = url.searchParams.get('dns')!;
    expect(dns).toMatch(/^[A-Za-z0-9_-]+$/);
    const b64 = dns.replace(/-/g, '+').replace(/_/g, '/');
    const query = fromBase64(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
    expect(toHex(query)).toBe(toHex(encodeDnsQuery('svc.example', 65)));
  });

  it('maps resolver failures to TRANSPORT and bad messages to DECODE_ERROR', async () => {
    const opts = (f: typeof fetch) => ({ resolver: 'https://r.example/q', fetch: f });
    await expect(
      fetchEchConfigList('svc.example', opts(fakeFetch(answer, 503).f)),
    ).rejects.toMatchObject({ code: 'TRANSPORT' });
    await expect(
      fetchEchConfigList('svc.example', opts(fakeFetch(answer, 200, 'text/plain').f)),
    ).rejects.toMatchObject({ code: 'TRANSPORT' });
    await expect(
      fetchEchConfigList('svc.example', opts(fakeFetch(answer.subarray(0, 30)).f)),
    ).rejects.toMatchObject({ code: 'DECODE_ERROR' });
    const failing = (async () => {
      throw new TypeError('network down');
    }) as typeof fetch;
    await expect(fetchEchConfigList('svc.example', opts(failing))).rejects.toMatchObject({
      code: 'TRANSPORT',
    });
    expect(
      await fetchEchConfigList('svc.example', opts(fakeFetch(response('svc.example', [], 3)).f)),
    ).toBeUndefined();
  });
});
