import { describe, expect, it } from 'vitest';
import { tls13Suite } from '../../src/crypto/suites.ts';
import { withFixedKeyShares } from '../../src/crypto/testing.ts';
import { certificateVerifyContent } from '../../src/handshake/certificate-verify.ts';
import { EarlySecret, finishedVerifyData, trafficKeys } from '../../src/keyschedule/tls13.ts';
import { Transcript } from '../../src/keyschedule/transcript.ts';
import { decodeCertificate } from '../../src/msgs/certificate.ts';
import { decodeCertificateVerify } from '../../src/msgs/certificate-verify.ts';
import { CipherSuite, ContentType, NamedGroup } from '../../src/msgs/enums.ts';
import { HandshakeJoiner } from '../../src/msgs/handshake.ts';
import { RecordLayer } from '../../src/record/layer.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { parseCertificate } from '../../src/verify/x509.ts';
import { PROVIDERS } from './crypto-providers.ts';
import { rfc8448 as v } from './data/rfc8448.ts';
import { openAll, sealAll } from './record-io.ts';

/**
 * RFC 8448 §3, "Simple 1-RTT Handshake", reproduced from the trace's private keys and messages:
 * the key exchange, every published secret, traffic key and IV, both Finished values, the
 * server's CertificateVerify, and the protected records byte for byte.
 */
describe.each(PROVIDERS)('RFC 8448 §3 with the %s provider', (_name, make) => {
  const base = make();
  const suite = tls13Suite(CipherSuite.TLS_AES_128_GCM_SHA256)!;
  const hash = suite.hash;

  async function schedule() {
    const provider = withFixedKeyShares(base, {
      [NamedGroup.x25519]: [fromHex(v.clientPrivateKey)],
    });
    const share = await provider.keyExchange(NamedGroup.x25519)!.generate();
    // The server's x25519 share sits before the 6-byte supported_versions extension.
    const serverShare = fromHex(v.serverHello).subarray(52, 84);
    const shared = await share.complete(serverShare);
    const transcript = new Transcript(provider);
    transcript.setHash(hash);
    transcript.add(fromHex(v.clientHello));
    transcript.add(fromHex(v.serverHello));
    const early = await EarlySecret.create(provider, hash);
    const hs = await early.handshake(shared);
    const helloHash = await transcript.current();
    const [clientHs, serverHs] = await hs.trafficSecrets(helloHash);
    return { provider, share, shared, transcript, hs, helloHash, clientHs, serverHs };
  }

  it('derives the client key share and the ECDHE secret', async () => {
    const { share, shared } = await schedule();
    expect(toHex(share.publicKey)).toBe(
      '99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c',
    );
    expect(toHex(shared)).toBe(v.sharedSecret);
  });

  it('reproduces the server key share from its private key', async () => {
    const provider = withFixedKeyShares(base, {
      [NamedGroup.x25519]: [fromHex(v.serverPrivateKey)],
    });
    const clientShare = fromHex('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    const { share, secret } = await provider
      .keyExchange(NamedGroup.x25519)!
      .encapsulate(clientShare);
    expect(toHex(share)).toBe(toHex(fromHex(v.serverHello).subarray(52, 84)));
    expect(toHex(secret)).toBe(v.sharedSecret);
  });

  it('derives the handshake secrets and keys', async () => {
    const { provider, helloHash, clientHs, serverHs } = await schedule();
    expect(toHex(helloHash)).toBe(v.helloHash);
    expect(toHex(clientHs)).toBe(v.clientHandshakeSecret);
    expect(toHex(serverHs)).toBe(v.serverHandshakeSecret);
    const s = await trafficKeys(provider, hash, serverHs, suite.keyLength);
    expect(toHex(s.key)).toBe(v.serverHandshakeKey);
    expect(toHex(s.iv)).toBe(v.serverHandshakeIv);
    const c = await trafficKeys(provider, hash, clientHs, suite.keyLength);
    expect(toHex(c.key)).toBe(v.clientHandshakeKey);
    expect(toHex(c.iv)).toBe(v.clientHandshakeIv);
  });

  it('opens the server flight, checks CertificateVerify and both Finished, seals the client Finished', async () => {
    const { provider, transcript, hs, clientHs, serverHs } = await schedule();

    // Open the server's encrypted flight with the derived keys.
    const records = new RecordLayer();
    const s = await trafficKeys(provider, hash, serverHs, suite.keyLength);
    records.setReadKey(await provider.aead(suite.aead, s.key), s.iv);
    const [record] = await openAll(records, fromHex(v.recordServerFlight));
    expect(record?.type).toBe(ContentType.handshake);
    expect(toHex(record!.content)).toBe(v.serverFlight);

    const joiner = new HandshakeJoiner();
    joiner.push(record!.content);
    const [ee, cert, cv, fin] = [joiner.next()!, joiner.next()!, joiner.next()!, joiner.next()!];
    expect(joiner.next()).toBeUndefined();

    transcript.add(ee.raw);
    transcript.add(cert.raw);
    // CertificateVerify: RSA-PSS over the transcript through Certificate.
    const leaf = decodeCertificate(cert.body).entries[0].data;
    const { algorithm, signature } = decodeCertificateVerify(cv.body);
    const content = certificateVerifyContent(true, await transcript.current());
    expect(await provider.verify(algorithm, parseCertificate(leaf).spki, content, signature)).toBe(
      true,
    );
    const tampered = signature.slice();
    tampered[10] ^= 1;
    expect(await provider.verify(algorithm, parseCertificate(leaf).spki, content, tampered)).toBe(
      false,
    );
    transcript.add(cv.raw);

    const serverFinished = await finishedVerifyData(
      provider,
      hash,
      serverHs,
      await transcript.current(),
    );
    expect(toHex(serverFinished)).toBe(v.serverVerifyData);
    expect(toHex(fin.body)).toBe(v.serverVerifyData);
    transcript.add(fin.raw);

    const master = await hs.master();
    const finishedHash = await transcript.current();
    const [clientApp, serverApp] = await master.trafficSecrets(finishedHash);
    expect(toHex(clientApp)).toBe(v.clientApplicationSecret);
    expect(toHex(serverApp)).toBe(v.serverApplicationSecret);
    expect(toHex(await master.exporterSecret(finishedHash))).toBe(v.exporterSecret);

    const clientFinished = await finishedVerifyData(provider, hash, clientHs, finishedHash);
    expect(toHex(clientFinished)).toBe(v.clientVerifyData);

    // Seal the client Finished under the client handshake key: byte-exact with the trace.
    const out = new RecordLayer();
    const c = await trafficKeys(provider, hash, clientHs, suite.keyLength);
    out.setWriteKey(await provider.aead(suite.aead, c.key), c.iv);
    const framed = new Uint8Array([20, 0, 0, 32, ...clientFinished]);
    expect(toHex(await sealAll(out, ContentType.handshake, framed))).toBe(v.recordClientFinished);

    // Application data both ways, and the close_notify alerts.
    const ca = await trafficKeys(provider, hash, clientApp, suite.keyLength);
    expect(toHex(ca.key)).toBe(v.clientApplicationKey);
    expect(toHex(ca.iv)).toBe(v.clientApplicationIv);
    out.setWriteKey(await provider.aead(suite.aead, ca.key), ca.iv);
    const data = await sealAll(out, ContentType.application_data, fromHex(v.appPayload));
    expect(toHex(data)).toBe(v.recordClientData);
    const alert = await sealAll(out, ContentType.alert, new Uint8Array([1, 0]));
    expect(toHex(alert)).toBe(v.recordClientAlert);

    const sa = await trafficKeys(provider, hash, serverApp, suite.keyLength);
    expect(toHex(sa.key)).toBe(v.serverApplicationKey);
    expect(toHex(sa.iv)).toBe(v.serverApplicationIv);
    const inbound = new RecordLayer();
    inbound.setReadKey(await provider.aead(suite.aead, sa.key), sa.iv);
    const wire = fromHex(v.recordTicket + v.recordServerData + v.recordServerAlert);
    const [ticket, received, closing] = await openAll(inbound, wire);
    expect(ticket?.type).toBe(ContentType.handshake);
    expect(received?.type).toBe(ContentType.application_data);
    expect(toHex(received!.content)).toBe(v.appPayload);
    expect(closing?.type).toBe(ContentType.alert);
    expect([...closing!.content]).toEqual([1, 0]);
  });

  it('rejects a flipped bit in a protected record', async () => {
    const { provider, serverHs } = await schedule();
    const records = new RecordLayer();
    const s = await trafficKeys(provider, hash, serverHs, suite.keyLength);
    records.setReadKey(await provider.aead(suite.aead, s.key), s.iv);
    const bad = fromHex(v.recordServerFlight);
    bad[100] ^= 0x80;
    await expect(openAll(records, bad)).rejects.toMatchObject({ code: 'BAD_RECORD_MAC' });
  });
});
