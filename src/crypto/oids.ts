/** Object identifiers for the key and hash algorithms the crypto layer reads. */
export const Oid = {
  /** RFC 8017 Appendix C: rsaEncryption. */
  rsaEncryption: '1.2.840.113549.1.1.1',
  /** RFC 8017 Appendix C: id-RSASSA-PSS. */
  rsassaPss: '1.2.840.113549.1.1.10',
  /** RFC 8017 Appendix B.2.1: id-mgf1. */
  mgf1: '1.2.840.113549.1.1.8',
  /** RFC 5480 §2.1.1: id-ecPublicKey. */
  ecPublicKey: '1.2.840.10045.2.1',
  /** RFC 5480 §2.1.1.1: named curves. */
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  /** RFC 8410 §3: id-X25519 and id-Ed25519. */
  x25519: '1.3.101.110',
  ed25519: '1.3.101.112',
  /** RFC 8017 Appendix B.1 / NIST: hash algorithms. */
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;
