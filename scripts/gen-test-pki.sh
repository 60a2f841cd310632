#!/usr/bin/env bash
# Generates the test PKI under test/pki/out/ with the openssl CLI (3.0 or later).
# Idempotent: skips when test/pki/out/.done holds this script's hash. See test/pki/README.md
# for the layout and the error each bad case must produce.
set -euo pipefail

cd "$(dirname "$0")/.."
SCRIPT=scripts/gen-test-pki.sh
OUT=test/pki/out
HASH=$(sha256sum "$SCRIPT" | cut -d' ' -f1)

done_already() { [[ -f $OUT/.done && "$(cat "$OUT/.done")" == "$HASH" ]]; }
done_already && exit 0

# Concurrent test runs: one generates, the others wait for it.
exec 9>"${TMPDIR:-/tmp}/webtls-gen-test-pki.$(id -u).lock"
flock 9
done_already && exit 0

echo "gen-test-pki: generating $OUT" >&2
mkdir -p test/pki
TMP=$(mktemp -d "test/pki/.out.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
W=$TMP/.work
mkdir -p "$W/newcerts"
: >"$W/index.txt"

# Validity: good certificates from yesterday for 20 years; bad ones get fixed dates.
YESTERDAY=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
LATER=$(date -u -d '+7300 days' +%Y%m%d%H%M%SZ)

cat >"$W/ca.cnf" <<EOF
[ ca ]
default_ca = webtls
[ webtls ]
database = $W/index.txt
new_certs_dir = $W/newcerts
serial = $W/serial
policy = any_dn
unique_subject = no
copy_extensions = none
email_in_dn = no
default_md = sha256
[ any_dn ]
commonName = supplied
organizationName = optional

[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ inter ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ inter_pathlen0 ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ inter_not_ca ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ inter_no_bc ]
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ inter_bad_ku ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ inter_bad_eku ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ inter_nc ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
nameConstraints = critical, \$ENV::NC
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = \$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf_no_eku ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectAltName = \$ENV::SAN
authorityKeyIdentifier = keyid
[ leaf_unknown_critical ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
1.3.6.1.4.1.55555.1.1 = critical, ASN1:UTF8String:webtls-test
authorityKeyIdentifier = keyid
EOF

export SAN="DNS:localhost, IP:127.0.0.1, IP:::1"
export NC="permitted;DNS:localhost"

# genkey TYPE FILE: a PKCS#8 private key.
genkey() {
  case $1 in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$2" ;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
    rsapss) openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
    *) echo "unknown key type $1" >&2; exit 1 ;;
  esac
}

# issue OUT_CERT SUBJECT KEY ISSUER_CERT ISSUER_KEY SECTION [openssl ca options...]
# ISSUER_CERT "self" makes a self-signed certificate.
issue() {
  local out=$1 subj=$2 key=$3 icert=$4 ikey=$5 section=$6
  shift 6
  openssl req -new -key "$key" -subj "$subj" -out "$W/req.csr"
  openssl rand -hex 16 >"$W/serial"
  local issuer=(-cert "$icert" -keyfile "$ikey")
  [[ $icert == self ]] && issuer=(-selfsign -keyfile "$ikey")
  openssl ca -batch -config "$W/ca.cnf" -notext -in "$W/req.csr" -out "$out" \
    -extfile "$W/ca.cnf" -extensions "$section" -startdate "$YESTERDAY" -enddate "$LATER" \
    "${issuer[@]}" "$@" 2>"$W/ca.log" || { cat "$W/ca.log" >&2; exit 1; }
}

PSS256=(-md sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest)
PSS384=(-md sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest)

# 1. The trusted root (RSA-2048), a second trusted root (P-384) and an untrusted one (P-256).
mkdir -p "$TMP/ca"
genkey rsa2048 "$TMP/ca/root.key"
issue "$TMP/root.pem" "/CN=webtls Test Root CA/O=webtls test" "$TMP/ca/root.key" self \
  "$TMP/ca/root.key" root
genkey p384 "$TMP/ca/root2.key"
issue "$TMP/root2.pem" "/CN=webtls Test Root CA 2/O=webtls test" "$TMP/ca/root2.key" self \
  "$TMP/ca/root2.key" root -md sha384
genkey p256 "$TMP/ca/untrusted-root.key"
issue "$TMP/untrusted-root.pem" "/CN=webtls Untrusted Root CA/O=webtls test" \
  "$TMP/ca/untrusted-root.key" self "$TMP/ca/untrusted-root.key" root

# 2. One intermediate and one localhost leaf per key type. The root signs each intermediate
#    with a different algorithm, so every certificate signature scheme is exercised.
chain_dir() { # chain_dir DIR TYPE INTER_SIG_OPTS... -- LEAF_SIG_OPTS...
  local dir=$1 type=$2
  shift 2
  local inter_opts=() leaf_opts=()
  while [[ $# -gt 0 && $1 != -- ]]; do inter_opts+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  leaf_opts=("$@")
  mkdir -p "$dir"
  genkey "$type" "$dir/inter.key"
  issue "$dir/inter.pem" "/CN=webtls Test Intermediate CA ($type)/O=webtls test" \
    "$dir/inter.key" "$TMP/root.pem" "$TMP/ca/root.key" inter "${inter_opts[@]}"
  genkey "$type" "$dir/key.pem"
  issue "$dir/leaf.pem" "/CN=localhost/O=webtls test ($type)" "$dir/key.pem" "$dir/inter.pem" \
    "$dir/inter.key" leaf "${leaf_opts[@]}"
  cat "$dir/leaf.pem" "$dir/inter.pem" >"$dir/chain.pem"
}
chain_dir "$TMP/p256" p256 -md sha256 -- -md sha256
chain_dir "$TMP/p384" p384 -md sha384 -- -md sha384
chain_dir "$TMP/ed25519" ed25519 -md sha512 --
chain_dir "$TMP/rsa2048" rsa2048 "${PSS256[@]}" -- -md sha256
chain_dir "$TMP/rsapss" rsapss "${PSS384[@]}" -- "${PSS256[@]}"

P256=$TMP/p256

# 3. A second server certificate (for SNI selection; its signature is ECDSA with SHA-512 from a
#    P-256 key) and a client certificate, both under the P-256 intermediate.
leaf_under_p256() { # leaf_under_p256 DIR SUBJECT SECTION [ca options...]
  local dir=$1 subj=$2 section=$3
  shift 3
  mkdir -p "$dir"
  genkey p256 "$dir/key.pem"
  issue "$dir/leaf.pem" "$subj" "$dir/key.pem" "$P256/inter.pem" "$P256/inter.key" "$section" "$@"
  cat "$dir/leaf.pem" "$P256/inter.pem" >"$dir/chain.pem"
}
SAN="DNS:other.test, DNS:*.other.test" leaf_under_p256 "$TMP/other" "/CN=other.test" leaf -md sha512
SAN="DNS:client.webtls.test" leaf_under_p256 "$TMP/client" "/CN=webtls test client" leaf_client

# 4. Bad cases. Each directory has chain.pem (leaf first) and key.pem; README.md lists the
#    error each one must produce.
BAD=$TMP/bad
mkdir -p "$BAD"
genkey p256 "$W/bad.key"
bad_leaf() { # bad_leaf CASE SECTION ISSUER_DIR [ca options...]: leaf + that issuer's chain
  local name=$1 section=$2 idir=$3
  shift 3
  mkdir -p "$BAD/$name"
  cp "$W/bad.key" "$BAD/$name/key.pem"
  issue "$BAD/$name/leaf.pem" "/CN=localhost/O=webtls bad case $name" "$W/bad.key" \
    "$idir/inter.pem" "$idir/inter.key" "$section" "$@"
  cat "$BAD/$name/leaf.pem" "$idir/chain-up.pem" >"$BAD/$name/chain.pem"
}
bad_inter() { # bad_inter DIR SECTION [ca options...]: an intermediate under the root
  local dir=$1 section=$2
  shift 2
  mkdir -p "$dir"
  genkey p256 "$dir/inter.key"
  issue "$dir/inter.pem" "/CN=webtls Bad Intermediate ($(basename "$dir"))/O=webtls test" \
    "$dir/inter.key" "$TMP/root.pem" "$TMP/ca/root.key" "$section" "$@"
  cp "$dir/inter.pem" "$dir/chain-up.pem"
}
cp "$P256/inter.pem" "$P256/chain-up.pem"

bad_leaf expired leaf "$P256" -startdate 20200101000000Z -enddate 20210101000000Z
bad_leaf not-yet-valid leaf "$P256" -startdate 20900101000000Z -enddate 20910101000000Z
SAN="DNS:wrong.test, IP:127.0.0.1" bad_leaf wrong-dns leaf "$P256"
SAN="DNS:localhost, IP:127.0.0.2, IP:::2" bad_leaf wrong-ip leaf "$P256"
SAN="IP:127.0.0.1, IP:::1" bad_leaf ip-only leaf "$P256"
SAN="DNS:localhost" bad_leaf dns-only leaf "$P256"
SAN="DNS:127.0.0.1" bad_leaf dns-ip-literal leaf "$P256"
SAN="DNS:*.localhost" bad_leaf wildcard-tld leaf "$P256"
bad_leaf bad-eku leaf_client "$P256"
bad_leaf no-eku leaf_no_eku "$P256"
bad_leaf unknown-critical leaf_unknown_critical "$P256"

mkdir -p "$BAD/missing-intermediate"
cp "$P256/leaf.pem" "$BAD/missing-intermediate/chain.pem"
cp "$P256/key.pem" "$BAD/missing-intermediate/key.pem"

mkdir -p "$BAD/bad-signature"
cp "$P256/key.pem" "$BAD/bad-signature/key.pem"
openssl x509 -in "$P256/leaf.pem" -outform DER -out "$W/leaf.der"
LAST=$(tail -c 1 "$W/leaf.der" | od -An -tu1 | tr -d ' ')
{ head -c -1 "$W/leaf.der"; printf "\\$(printf '%03o' $((LAST ^ 1)))"; } >"$W/flipped.der"
openssl x509 -inform DER -in "$W/flipped.der" -out "$BAD/bad-signature/leaf.pem"
cat "$BAD/bad-signature/leaf.pem" "$P256/inter.pem" >"$BAD/bad-signature/chain.pem"

bad_inter "$W/not-ca" inter_not_ca
bad_leaf inter-not-ca leaf "$W/not-ca"
bad_inter "$W/no-bc" inter_no_bc
bad_leaf inter-no-basic-constraints leaf "$W/no-bc"
bad_inter "$W/bad-ku" inter_bad_ku
bad_leaf inter-bad-key-usage leaf "$W/bad-ku"
bad_inter "$W/bad-eku" inter_bad_eku
bad_leaf inter-bad-eku leaf "$W/bad-eku"
bad_inter "$W/expired" inter -startdate 20200101000000Z -enddate 20210101000000Z
bad_leaf inter-expired leaf "$W/expired"

NC="permitted;DNS:example.com" bad_inter "$W/nc-dns" inter_nc
SAN="DNS:localhost" bad_leaf nc-dns leaf "$W/nc-dns"
NC="permitted;IP:10.0.0.0/255.0.0.0" bad_inter "$W/nc-ip" inter_nc
SAN="IP:127.0.0.1" bad_leaf nc-ip leaf "$W/nc-ip"
NC="excluded;DNS:localhost" bad_inter "$W/nc-excluded" inter_nc
bad_leaf nc-excluded-dns leaf "$W/nc-excluded"
NC="excluded;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" bad_inter "$W/nc-excluded-ip" inter_nc
SAN="DNS:localhost, IP:::1" bad_leaf nc-excluded-ip leaf "$W/nc-excluded-ip"
# Not bad: every name inside the permitted subtrees (the control for the cases above).
NC="permitted;DNS:localhost, permitted;IP:127.0.0.0/255.0.0.0, permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" \
  bad_inter "$W/nc-ok" inter_nc
bad_leaf nc-ok leaf "$W/nc-ok"

# pathLen: root -> inter (pathlen:0) -> sub-inter -> leaf.
bad_inter "$W/pl0" inter_pathlen0
mkdir -p "$W/pl-sub"
genkey p256 "$W/pl-sub/inter.key"
issue "$W/pl-sub/inter.pem" "/CN=webtls Bad Intermediate (below pathlen 0)/O=webtls test" \
  "$W/pl-sub/inter.key" "$W/pl0/inter.pem" "$W/pl0/inter.key" inter
cat "$W/pl-sub/inter.pem" "$W/pl0/inter.pem" >"$W/pl-sub/chain-up.pem"
bad_leaf path-len leaf "$W/pl-sub"

# Unknown root: a complete chain under a root nobody trusts.
mkdir -p "$W/untrusted"
genkey p256 "$W/untrusted/inter.key"
issue "$W/untrusted/inter.pem" "/CN=webtls Untrusted Intermediate/O=webtls test" \
  "$W/untrusted/inter.key" "$TMP/untrusted-root.pem" "$TMP/ca/untrusted-root.key" inter
cp "$W/untrusted/inter.pem" "$W/untrusted/chain-up.pem"
bad_leaf unknown-root leaf "$W/untrusted"

# 5. Cross-signing: one intermediate key and subject, certified by both trusted roots.
X=$TMP/cross
mkdir -p "$X"
genkey p256 "$X/inter.key"
issue "$X/inter-root.pem" "/CN=webtls Cross-signed Intermediate/O=webtls test" "$X/inter.key" \
  "$TMP/root.pem" "$TMP/ca/root.key" inter
issue "$X/inter-root2.pem" "/CN=webtls Cross-signed Intermediate/O=webtls test" "$X/inter.key" \
  "$TMP/root2.pem" "$TMP/ca/root2.key" inter -md sha384
genkey p256 "$X/key.pem"
issue "$X/leaf.pem" "/CN=localhost/O=webtls test (cross-signed)" "$X/key.pem" \
  "$X/inter-root.pem" "$X/inter.key" leaf
cat "$X/leaf.pem" "$X/inter-root2.pem" "$X/inter-root.pem" >"$X/chain.pem"

# 6. A self-signed server certificate (not a CA), trusted only when configured as a root itself.
mkdir -p "$TMP/selfsigned"
genkey p256 "$TMP/selfsigned/key.pem"
issue "$TMP/selfsigned/leaf.pem" "/CN=localhost/O=webtls test (self-signed)" \
  "$TMP/selfsigned/key.pem" self "$TMP/selfsigned/key.pem" leaf
cp "$TMP/selfsigned/leaf.pem" "$TMP/selfsigned/chain.pem"

# 7. The same keys in the legacy encodings other openssl commands write.
K=$TMP/keys
mkdir -p "$K"
openssl ec -in "$P256/key.pem" -out "$K/p256-sec1.pem" 2>/dev/null
openssl ec -in "$TMP/p384/key.pem" -out "$K/p384-sec1.pem" 2>/dev/null
openssl ec -in "$P256/key.pem" -no_public -out "$K/p256-sec1-no-public.pem" 2>/dev/null
{ openssl ecparam -name prime256v1; cat "$K/p256-sec1.pem"; } >"$K/p256-ecparam.pem"
openssl rsa -in "$TMP/rsa2048/key.pem" -traditional -out "$K/rsa2048-pkcs1.pem" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$P256/key.pem" -outform DER -out "$K/p256-pkcs8.der"
openssl ec -in "$P256/key.pem" -outform DER -out "$K/p256-sec1.der" 2>/dev/null

# 8. Client certificates of the other key types (EKU clientAuth), under the P-256 intermediate.
client_leaf() { # client_leaf DIR KEYTYPE
  local dir=$1
  mkdir -p "$dir"
  genkey "$2" "$dir/key.pem"
  SAN="DNS:client.webtls.test" issue "$dir/leaf.pem" "/CN=webtls test client ($2)" \
    "$dir/key.pem" "$P256/inter.pem" "$P256/inter.key" leaf_client
  cat "$dir/leaf.pem" "$P256/inter.pem" >"$dir/chain.pem"
}
client_leaf "$TMP/client-ed25519" ed25519
client_leaf "$TMP/client-rsa" rsa2048

# 9. Revocation: a separate hierarchy with its own CA databases, so `openssl ca` can revoke and
#    write CRLs (RFC 5280 §5). crl/root.pem issues inter.pem and inter2.pem; inter2 is revoked by
#    the root. Client certificates (EKU clientAuth): good/ and revoked/ under inter (revoked/
#    revoked by inter, keyCompromise), under-revoked/ under inter2. CRLs, PEM: root.crl.pem
#    (inter2 revoked), inter.crl.pem (revoked/ revoked), inter2.crl.pem (empty),
#    inter-expired.crl.pem (as inter.crl.pem, nextUpdate yesterday), all.crl.pem (the three
#    current CRLs).
C=$TMP/crl
mkdir -p "$C"
for ca in crlroot crlinter crlinter2; do
  : >"$W/$ca.txt"
  echo 01 >"$W/$ca.num"
  cat >>"$W/ca.cnf" <<EOF
[ $ca ]
database = $W/$ca.txt
crlnumber = $W/$ca.num
new_certs_dir = $W/newcerts
serial = $W/serial
policy = any_dn
unique_subject = no
copy_extensions = none
default_md = sha256
EOF
done
cat >>"$W/ca.cnf" <<EOF
[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
genkey p256 "$C/root.key"
issue "$C/root.pem" "/CN=webtls CRL Test Root CA/O=webtls test" "$C/root.key" self \
  "$C/root.key" root -name crlroot
for i in inter inter2; do
  genkey p256 "$C/$i.key"
  issue "$C/$i.pem" "/CN=webtls CRL Test Intermediate ($i)/O=webtls test" "$C/$i.key" \
    "$C/root.pem" "$C/root.key" inter -name crlroot
done
crl_client() { # crl_client NAME ISSUER
  mkdir -p "$C/$1"
  genkey p256 "$C/$1/key.pem"
  SAN="DNS:client.webtls.test" issue "$C/$1/leaf.pem" "/CN=webtls CRL test client ($1)" \
    "$C/$1/key.pem" "$C/$2.pem" "$C/$2.key" leaf_client -name "crl$2"
  cat "$C/$1/leaf.pem" "$C/$2.pem" >"$C/$1/chain.pem"
}
crl_client good inter
crl_client revoked inter
crl_client under-revoked inter2
ca_cmd() { # ca_cmd CA ISSUER_BASENAME ARGS...: openssl ca as that CA
  local ca=$1 base=$2
  shift 2
  openssl ca -batch -config "$W/ca.cnf" -name "$ca" -keyfile "$C/$base.key" \
    -cert "$C/$base.pem" "$@" 2>"$W/ca.log" || { cat "$W/ca.log" >&2; exit 1; }
}
ca_cmd crlinter inter -revoke "$C/revoked/leaf.pem" -crl_reason keyCompromise
ca_cmd crlroot root -revoke "$C/inter2.pem" -crl_reason CACompromise
ca_cmd crlroot root -gencrl -crldays 3650 -crlexts crl_ext -out "$C/root.crl.pem"
ca_cmd crlinter inter -gencrl -crldays 3650 -crlexts crl_ext -out "$C/inter.crl.pem"
ca_cmd crlinter2 inter2 -gencrl -crldays 3650 -crlexts crl_ext -out "$C/inter2.crl.pem"
ca_cmd crlinter inter -gencrl -crlexts crl_ext -out "$C/inter-expired.crl.pem" \
  -crl_lastupdate "$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)" \
  -crl_nextupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)"
cat "$C/root.crl.pem" "$C/inter.crl.pem" "$C/inter2.crl.pem" >"$C/all.crl.pem"

# Leave only what tests use; CA keys stay in ca/ for tests that issue more certificates.
rm -f "$TMP"/*/chain-up.pem
rm -rf "$W"
echo "$HASH" >"$TMP/.done"
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "gen-test-pki: done" >&2
