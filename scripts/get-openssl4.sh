#!/usr/bin/env bash
# Fetches OpenSSL 4 (ECH, certificate compression with zlib and zstd) from Debian's experimental
# suite, with the newer C library it needs from sid, and unpacks them under .cache/openssl4 —
# nothing is installed system-wide. Writes .cache/openssl4/openssl, a wrapper that runs the
# binary with sid's loader. The OpenSSL 4 interop tests (test/interop/openssl4.test.ts) use it
# when present; they are optional, so a failure here only means they skip.
#
# Usage: bash scripts/get-openssl4.sh   (needs network access to the Debian archive)
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$PWD/.cache/openssl4"
wrapper="$dest/openssl"
if [ -x "$wrapper" ] && "$wrapper" version >/dev/null 2>&1; then
  "$wrapper" version
  exit 0
fi

work="$dest/apt"
rm -rf "$dest"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$dest/root"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$work/sources.list" <<LIST
deb [signed-by=$keyring] http://deb.debian.org/debian experimental main
deb [signed-by=$keyring] http://deb.debian.org/debian sid main
LIST
apt_opts=(
  -o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
  -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" -qq update
(
  cd "$work/debs"
  apt-get "${apt_opts[@]}" -qq download \
    openssl/experimental libssl4/experimental libc6/sid zlib1g/sid libzstd1/sid
)
for deb in "$work/debs"/*.deb; do dpkg-deb -x "$deb" "$dest/root"; done
rm -rf "$work"

lib="$dest/root/usr/lib/x86_64-linux-gnu"
cat >"$wrapper" <<WRAP
#!/bin/sh
# OpenSSL 4 from Debian experimental, run with Debian sid's loader (scripts/get-openssl4.sh).
export OPENSSL_CONF=/dev/null
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$dest/root/usr/bin/openssl" "\$@"
WRAP
chmod +x "$wrapper"
"$wrapper" version
