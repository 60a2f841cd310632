/**
 * Path building and validation (RFC 5280 §6) over certificates built in memory, so the cases
 * openssl cannot easily make (loops, long chains, many decoys, self-issued CAs, wildcards under
 * excluded subtrees) run in every runtime.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { subtleProvider } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { TlsError } from '../../src/error.ts';
import { pemEncode } from '../../src/util/pem.ts';
import { parseIpAddress } from '../../src/verify/names.ts';
import type { ServerCertVerifier } from '../../src/verify/types.ts';
import { webpkiVerifier } from '../../src/verify/webpki.ts';
import {
  CA_USAGE,
  CLIENT_AUTH,
  intermediateCa,
  issue,
  name,
  nameConstraints,
  newKey,
  rootCa,
  SERVER_AUTH,
  serverCert,
  type TestCert,
} from './helpers/x509-builder.ts';

const provider = subtleProvider();
const ip = (text: string) => parseIpAddress(text)!;

/** Counts signature checks while delegating to the real provider. */
function counting(): { provider: CryptoProvider; count: () => number } {
  let n = 0;
  return {
    provider: {
      ...provider,
      verify: (scheme, spki, data, sig) => {
        n++;
        return provider.verify(scheme, spki, data, sig);
      },
    },
    count: () => n,
  };
}

async function verify(
  roots: TestCert[],
  chain: TestCert[],
  host = 'localhost',
  options: { now?: Date; provider?: CryptoProvider; verifier?: ServerCertVerifier } = {},
): Promise<{ code: string; path?: Uint8Array[]; message?: string }> {
  const verifier = options.verifier ?? webpkiVerifier({ roots: roots.map((r) => r.der) });
  try {
    const result = await verifier.verifyServer(
      chain.map((c) => c.der),
      { name: host },
      { provider: options.provider ?? provider, now: options.now },
    );
    return { code: 'OK', path: result.path };
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    return { code: e.code, message: e.message };
  }
}

describe('path building', () => {
  let root: TestCert;
  let inter: TestCert;
  let leaf: TestCert;

  beforeAll(async () => {
    root = await rootCa('Root A');
    inter = await intermediateCa('Inter A', root);
    leaf = await serverCert(inter);
  });

  it('verifies leaf, intermediate, root and returns that path', async () => {
    const r = await verify([root], [leaf, inter]);
    expect(r.code).toBe('OK');
    expect(r.path).toEqual([leaf.der, inter.der, root.der]);
  });

  it('accepts roots as PEM text', async () => {
    const verifier = webpkiVerifier({ roots: [pemEncode('CERTIFICATE', root.der)] });
    expect((await verify([], [leaf, inter], 'localhost', { verifier })).code).toBe('OK');
  });

  it('orders an unordered chain and ignores unrelated and presented-root certificates', async () => {
    const stranger = await rootCa('Stranger');
    const other = await serverCert(await intermediateCa('Inter B', stranger));
    const r = await verify([root], [leaf, other, root, stranger, inter]);
    expect(r.code).toBe('OK');
    expect(r.path).toEqual([leaf.der, inter.der, root.der]);
  });

  it('matches IPv6 and IPv4 SANs only by address', async () => {
    for (const host of ['::1', '0:0:0:0:0:0:0:1', '[::1]', '127.0.0.1']) {
      expect((await verify([root], [leaf, inter], host)).code).toBe('OK');
    }
    for (const host of ['::2', '::ffff:127.0.0.1', '127.0.0.2']) {
      expect((await verify([root], [leaf, inter], host)).code).toBe('CERT_NAME_MISMATCH');
    }
  });

  it('follows a cross-signed intermediate through either root, backtracking past a bad one', async () => {
    const rootB = await rootCa('Root B');
    const key = await newKey();
    const xA = await issue({ subject: name('Cross'), key, issuer: root, ca: true });
    const xB = await issue({ subject: name('Cross'), key, issuer: rootB, ca: true });
    const expiredXA = await issue({
      subject: name('Cross'),
      key,
      issuer: root,
      ca: true,
      notBefore: new Date('2001-01-01'),
      notAfter: new Date('2002-01-01'),
    });
    const crossLeaf = await serverCert(xA);

    const viaA = await verify([root], [crossLeaf, xB, xA]);
    expect(viaA.path).toEqual([crossLeaf.der, xA.der, root.der]);
    const viaB = await verify([rootB], [crossLeaf, xA, xB]);
    expect(viaB.path).toEqual([crossLeaf.der, xB.der, rootB.der]);

    // The first candidate (expired, to root A) fails; the search moves on to B.
    const backtrack = await verify([root, rootB], [crossLeaf, expiredXA, xB]);
    expect(backtrack.path).toEqual([crossLeaf.der, xB.der, rootB.der]);
    // Only the expired path reaches a trusted root: its error, not "unknown issuer", is reported.
    expect((await verify([root], [crossLeaf, expiredXA, xB])).code).toBe('CERT_EXPIRED');
  });

  it('stops at a presented copy of a trust anchor', async () => {
    const r = await verify([root], [leaf, inter, root]);
    expect(r.path).toEqual([leaf.der, inter.der, root.der]);
  });

  it('trusts a configured self-signed end-entity certificate directly', async () => {
    const self = await issue({
      subject: name('self'),
      key: await newKey(),
      ca: false,
      eku: [SERVER_AUTH],
      dns: ['localhost'],
    });
    expect((await verify([self], [self])).path).toEqual([self.der]);
    expect((await verify([root], [self])).code).toBe('CERT_UNKNOWN_ISSUER');
  });

  it('terminates on issuer loops', async () => {
    const k1 = await newKey();
    const k2 = await newKey();
    const c1Placeholder = { der: new Uint8Array(), key: k1, name: name('Loop 1') };
    const c2 = await issue({ subject: name('Loop 2'), key: k2, issuer: c1Placeholder, ca: true });
    const c1 = await issue({ subject: name('Loop 1'), key: k1, issuer: c2, ca: true });
    const loopLeaf = await serverCert(c1);
    const count = counting();
    const r = await verify([root], [loopLeaf, c1, c2], 'localhost', { provider: count.provider });
    expect(r.code).toBe('CERT_UNKNOWN_ISSUER');
    expect(count.count()).toBeLessThanOrEqual(3);
  });

  it('gives up after 100 signature checks among many decoy issuers', async () => {
    const decoys: TestCert[] = [];
    for (let i = 0; i < 105; i++) decoys.push(await intermediateCa('Inter A', root));
    const count = counting();
    const r = await verify([root], [leaf, ...decoys], 'localhost', { provider: count.provider });
    expect(r.code).toBe('CERT_UNKNOWN');
    expect(r.message).toMatch(/100 signature checks/);
    expect(count.count()).toBe(100);
    // The real intermediate among the decoys is still found when the budget allows it:
    // candidates with a matching key identifier are tried first.
    expect((await verify([root], [leaf, ...decoys, inter])).code).toBe('OK');
  });

  it('bounds the path length', async () => {
    let ca = root;
    const chain: TestCert[] = [];
    for (let i = 0; i < 8; i++) {
      ca = await intermediateCa(`Deep ${i}`, ca);
      chain.unshift(ca);
    }
    const deepLeaf = await serverCert(ca);
    const r = await verify([root], [deepLeaf, ...chain]);
    expect(r.code).toBe('CERT_UNKNOWN');
    expect(r.message).toMatch(/at most 8 certificates/);
    const longer = webpkiVerifier({ roots: [root.der], maxPathLength: 10 });
    expect((await verify([], [deepLeaf, ...chain], 'localhost', { verifier: longer })).code).toBe(
      'OK',
    );
  });

  it('reports the most specific error among failing candidates', async () => {
    // Two candidates named "Inter A": a wrong key (bad signature) and one leading nowhere.
    const wrongKey = await intermediateCa('Inter A', root);
    const stranger = await rootCa('Stranger 2');
    const orphan = await issue({
      subject: name('Inter A'),
      key: inter.key,
      issuer: stranger,
      ca: true,
    });
    const r = await verify([root], [leaf, orphan, wrongKey]);
    expect(r.code).toBe('CERT_BAD_SIGNATURE');
    expect(r.message).toContain('"CN=server"');
  });
});

describe('certificate checks', () => {
  let root: TestCert;

  beforeAll(async () => {
    root = await rootCa('Root C');
  });

  it('requires cA on every issuer, including v1 certificates', async () => {
    const notCa = await intermediateCa('No CA', root, { ca: false });
    expect((await verify([root], [await serverCert(notCa), notCa])).code).toBe('CERT_NOT_CA');
    const v1 = await issue({ subject: name('V1'), key: await newKey(), issuer: root, version: 1 });
    expect((await verify([root], [await serverCert(v1), v1])).code).toBe('CERT_NOT_CA');
  });

  it('enforces pathLenConstraint, not counting self-issued intermediates', async () => {
    const top = await intermediateCa('Top', root, { ca: { pathLen: 0 } });
    const below = await intermediateCa('Below', top);
    const r = await verify([root], [await serverCert(below), below, top]);
    expect(r.code).toBe('CERT_PATH_LEN');
    expect(r.message).toContain('CN=Top');
    // A self-issued certificate (key rollover: same name, new key) does not count.
    const rollover = await issue({
      subject: top.name,
      key: await newKey(),
      issuer: top,
      ca: true,
      keyUsage: CA_USAGE,
    });
    expect((await verify([root], [await serverCert(rollover), rollover, top])).code).toBe('OK');
  });

  it('requires keyCertSign when keyUsage is present', async () => {
    const ca = await intermediateCa('Signer only', root, { keyUsage: [0] });
    expect((await verify([root], [await serverCert(ca), ca])).code).toBe('CERT_BAD_KEY_USAGE');
    const noKu = await intermediateCa('No KU', root, { keyUsage: undefined });
    expect((await verify([root], [await serverCert(noKu), noKu])).code).toBe('OK');
  });

  it('requires serverAuth in the EKU of the leaf and of intermediates that have one', async () => {
    const ca = await intermediateCa('EKU CA', root);
    const clientOnly = await serverCert(ca, { eku: [CLIENT_AUTH] });
    expect((await verify([root], [clientOnly, ca])).code).toBe('CERT_BAD_EKU');
    const anyEku = await serverCert(ca, { eku: ['2.5.29.37.0'] });
    expect((await verify([root], [anyEku, ca])).code).toBe('CERT_BAD_EKU');
    const both = await serverCert(ca, { eku: [CLIENT_AUTH, SERVER_AUTH] });
    expect((await verify([root], [both, ca])).code).toBe('OK');
    const clientCa = await intermediateCa('Client CA', root, { eku: [CLIENT_AUTH] });
    expect((await verify([root], [await serverCert(clientCa), clientCa])).code).toBe(
      'CERT_BAD_EKU',
    );
  });

  it('checks validity at the given time for every certificate but the anchor', async () => {
    const ca = await intermediateCa('Dated CA', root, {
      notBefore: new Date('2030-01-01'),
      notAfter: new Date('2031-01-01'),
    });
    const leaf = await serverCert(ca, {
      notBefore: new Date('2029-01-01'),
      notAfter: new Date('2032-01-01'),
    });
    const at = (d: string) => verify([root], [leaf, ca], 'localhost', { now: new Date(d) });
    // The root was issued "yesterday" with a one-year life; anchors are not date-checked.
    expect((await at('2030-06-01')).code).toBe('OK');
    expect((await at('2029-06-01')).code).toBe('CERT_NOT_YET_VALID');
    expect((await at('2031-06-01')).code).toBe('CERT_EXPIRED');
    expect((await at('2028-06-01')).code).toBe('CERT_NOT_YET_VALID');
    expect((await at('2033-01-01')).message).toContain('CN=server');
  });

  it('refuses unknown critical extensions anywhere in the path, and ignores non-critical ones', async () => {
    const odd = { oid: '1.3.6.1.4.1.55555.9', critical: true, value: new Uint8Array([5, 0]) };
    const ca = await intermediateCa('Odd CA', root, { extensions: [odd] });
    expect((await verify([root], [await serverCert(ca), ca])).code).toBe('UNSUPPORTED_CERTIFICATE');
    const fine = await intermediateCa('Fine CA', root);
    const leaf = await serverCert(fine, { extensions: [{ ...odd, critical: false }] });
    expect((await verify([root], [leaf, fine])).code).toBe('OK');
  });

  it('detects a bad signature', async () => {
    const ca = await intermediateCa('Sig CA', root);
    const leaf = await serverCert(ca, { corruptSignature: true });
    expect((await verify([root], [leaf, ca])).code).toBe('CERT_BAD_SIGNATURE');
  });
});

describe('name constraints in paths', () => {
  let root: TestCert;

  beforeAll(async () => {
    root = await rootCa('Root NC');
  });

  async function constrained(nc: Parameters<typeof nameConstraints>[0], anchor = false) {
    if (anchor) {
      const r = await rootCa('Constrained root', { extensions: [nameConstraints(nc)] });
      return { roots: [r], ca: r };
    }
    const ca = await intermediateCa('Constrained', root, { extensions: [nameConstraints(nc)] });
    return { roots: [root], ca };
  }

  it('applies permitted DNS and IP subtrees to every SAN, from an intermediate or an anchor', async () => {
    for (const anchor of [false, true]) {
      const { roots, ca } = await constrained(
        { permitted: { dns: ['example.com'], ip: [new Uint8Array([10, 0, 0, 0, 255, 0, 0, 0])] } },
        anchor,
      );
      const chain = (leaf: TestCert) => (anchor ? [leaf] : [leaf, ca]);
      const good = await serverCert(ca, { dns: ['www.example.com'], ips: [ip('10.1.2.3')] });
      expect((await verify(roots, chain(good), 'www.example.com')).code).toBe('OK');
      const badDns = await serverCert(ca, { dns: ['www.example.org'], ips: [] });
      expect((await verify(roots, chain(badDns), 'www.example.org')).code).toBe(
        'CERT_NAME_CONSTRAINTS',
      );
      // The bad name need not be the one connected to: every SAN is constrained.
      const mixed = await serverCert(ca, { dns: ['a.example.com', 'evil.test'], ips: [] });
      expect((await verify(roots, chain(mixed), 'a.example.com')).code).toBe(
        'CERT_NAME_CONSTRAINTS',
      );
      const badIp = await serverCert(ca, { dns: ['example.com'], ips: [ip('11.0.0.1')] });
      expect((await verify(roots, chain(badIp), 'example.com')).code).toBe('CERT_NAME_CONSTRAINTS');
      // iPAddress is one name form: with only IPv4 subtrees permitted, no IPv6 address is.
      const v6 = await serverCert(ca, { dns: ['example.com'], ips: [ip('::1')] });
      expect((await verify(roots, chain(v6), '::1')).code).toBe('CERT_NAME_CONSTRAINTS');
      // DNS names are unconstrained when only IP subtrees are listed, and vice versa.
      const { roots: r2, ca: ipOnly } = await constrained(
        { permitted: { ip: [new Uint8Array([10, 0, 0, 0, 255, 0, 0, 0])] } },
        anchor,
      );
      const anyDns = await serverCert(ipOnly, { dns: ['anything.test'], ips: [] });
      expect((await verify(r2, anchor ? [anyDns] : [anyDns, ipOnly], 'anything.test')).code).toBe(
        'OK',
      );
    }
  });

  it('counts a wildcard that can reach into an excluded subtree as excluded', async () => {
    const { roots, ca } = await constrained({ excluded: { dns: ['secret.example.com'] } });
    const wildcard = await serverCert(ca, { dns: ['*.example.com'], ips: [] });
    const r = await verify(roots, [wildcard, ca], 'www.example.com');
    expect(r.code).toBe('CERT_NAME_CONSTRAINTS');
    expect(r.message).toContain('*.example.com');
    const fine = await serverCert(ca, { dns: ['www.example.com'], ips: [] });
    expect((await verify(roots, [fine, ca], 'www.example.com')).code).toBe('OK');
  });

  it('applies excluded IPv6 subtrees', async () => {
    const mask = new Uint8Array(16).fill(0xff);
    const { roots, ca } = await constrained({
      excluded: { ip: [new Uint8Array([...ip('::1'), ...mask])] },
    });
    const leaf = await serverCert(ca);
    expect((await verify(roots, [leaf, ca], 'localhost')).code).toBe('CERT_NAME_CONSTRAINTS');
  });
});

describe('verifier input errors', () => {
  it('rejects an empty chain and unparseable certificates with BAD_CERTIFICATE', async () => {
    const root = await rootCa('Root E');
    const verifier = webpkiVerifier({ roots: [root.der] });
    const run = (chain: Uint8Array[], host = 'localhost') =>
      verifier.verifyServer(chain, { name: host }, { provider }).then(
        () => 'OK',
        (e: TlsError) => e.code,
      );
    expect(await run([])).toBe('BAD_CERTIFICATE');
    expect(await run([new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])])).toBe('BAD_CERTIFICATE');
    expect(await run([root.der, new Uint8Array([1, 2, 3])])).toBe('BAD_CERTIFICATE');
    expect(await run([root.der], 'not a host name')).toBe('CONFIG');
  });

  it('rejects unusable root configurations with CONFIG', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
        return 'OK';
      } catch (e) {
        return (e as TlsError).code;
      }
    };
    expect(codeOf(() => webpkiVerifier({ roots: [] }))).toBe('CONFIG');
    expect(codeOf(() => webpkiVerifier({ roots: ['not pem'] }))).toBe('CONFIG');
    expect(codeOf(() => webpkiVerifier({ roots: [new Uint8Array([0x30, 0])] }))).toBe('CONFIG');
  });

  it('loads the bundled roots when none are configured (a chain to another root is unknown)', async () => {
    const root = await rootCa('Root G');
    const leaf = await serverCert(await intermediateCa('Default roots CA', root));
    const verifier = webpkiVerifier();
    const chain = [leaf.der];
    for (let i = 0; i < 2; i++) {
      // Twice: the second call takes the roots already loaded.
      expect(
        await verify(
          [],
          chain.map(() => leaf),
          'localhost',
          { verifier },
        ),
      ).toMatchObject({
        code: 'CERT_UNKNOWN_ISSUER',
      });
    }
  });

  it('copies the chain before its first await', async () => {
    const root = await rootCa('Root F');
    const ca = await intermediateCa('Copy CA', root);
    const leaf = await serverCert(ca);
    const chain = [leaf.der.slice(), ca.der.slice()];
    const pending = webpkiVerifier({ roots: [root.der] }).verifyServer(
      chain,
      { name: 'localhost' },
      { provider },
    );
    chain[0].fill(0);
    chain[1].fill(0);
    expect((await pending).path).toEqual([leaf.der, ca.der, root.der]);
  });
});
