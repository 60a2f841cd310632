/**
 * RFC 9180 Appendix A.1.1 and A.2.1 (Base mode), DHKEM(X25519, HKDF-SHA256) with HKDF-SHA256:
 * AES-128-GCM and ChaCha20Poly1305; sequence numbers 0, 1 and 2 of each. Taken from the
 * published vectors (cfrg/draft-irtf-cfrg-hpke, the appendix of draft-irtf-cfrg-hpke.md).
 */

/** One RFC 9180 base-mode vector, byte strings in hex. */
export interface HpkeVector {
  name: string;
  kemId: number;
  kdfId: number;
  aeadId: number;
  info: string;
  ikmE: string;
  pkRm: string;
  skRm: string;
  enc: string;
  encryptions: { aad: string; pt: string; ct: string }[];
}

/** The vectors, in appendix order. */
export const RFC9180_X25519_VECTORS: HpkeVector[] = [
  {
    name: 'A.1.1 DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM',
    kemId: 32,
    kdfId: 1,
    aeadId: 1,
    info: '4f6465206f6e2061204772656369616e2055726e',
    ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
    pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
    skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
    enc: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
    encryptions: [
      {
        aad: '436f756e742d30',
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
      },
      {
        aad: '436f756e742d31',
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        ct: 'af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84',
      },
      {
        aad: '436f756e742d32',
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        ct: '498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc180',
      },
    ],
  },
  {
    name: 'A.2.1 DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305',
    kemId: 32,
    kdfId: 1,
    aeadId: 3,
    info: '4f6465206f6e2061204772656369616e2055726e',
    ikmE: '909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b',
    pkRm: '4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a',
    skRm: '8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb',
    enc: '1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a',
    encryptions: [
      {
        aad: '436f756e742d30',
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        ct: '1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28',
      },
      {
        aad: '436f756e742d31',
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        ct: '6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c',
      },
      {
        aad: '436f756e742d32',
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        ct: '71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b',
      },
    ],
  },
];
