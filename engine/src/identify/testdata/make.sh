#!/bin/sh
# Remakes the certificates tls.rs's tests read names from (self-signed, P-256,
# DER). Committed so that `cargo test -p engine` needs no openssl.
set -eu
cd "$(dirname "$0")"
key=$(mktemp)
trap 'rm -f "$key"' EXIT
make() {
    name=$1 subject=$2
    shift 2
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days 3650 -utf8 -outform DER -subj "$subject" "$@" \
        -keyout "$key" -out "$name.der" 2>/dev/null
}
make localhost "/CN=localhost"
make full "/C=DE/O=Example GmbH/OU=Ops/CN=db.example"
make components "/DC=org/DC=example/CN=host"
make multi-rdn "/CN=host+OU=Ops" -multivalue-rdn
# One CN whose value is "evil,O=Trusted Bank".
make comma '/CN=evil\,O=Trusted Bank'
# ESC [2J (clear screen) and U+009B (CSI) in the CN.
make controls "$(printf '/CN=a\033[2Jb\302\23331mc')"
# Sixteen attributes, 500 characters of name.
make long "$(for _ in 1 2 3 4 5 6 7 8; do printf '/CN=x/OU=%060d' 0 | tr 0 o; done)"
