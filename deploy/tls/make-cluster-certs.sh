#!/usr/bin/env bash
# Makes a cluster CA and the certificates of the cluster plane's mutual TLS, as PEM files, with openssl:
#   ca.pem, ca.key                 the cluster CA (keep ca.key offline once you have issued what you need)
#   silo.pem, silo.key             OU=zeropath-silo: joins the cluster, serves the gateway port (serverAuth, clientAuth)
#   gateway.pem, gateway.key       OU=zeropath-gateway: an edge gateway's Orleans client (clientAuth only)
# Existing files are kept, so it is safe to run on every start. Keys are written with mode 600.
#
#   deploy/tls/make-cluster-certs.sh DIR [DAYS]
set -euo pipefail
dir="${1:?usage: make-cluster-certs.sh DIR [DAYS]}"
days="${2:-825}"
command -v openssl >/dev/null 2>&1 || { echo "make-cluster-certs.sh: openssl is required" >&2; exit 2; }
mkdir -p "$dir"
umask 077

if [ ! -s "$dir/ca.pem" ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 3650 \
    -subj "/CN=ZeroPath cluster CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

issue() { # name role extendedKeyUsage
  local name="$1" role="$2" usage="$3"
  [ -s "$dir/$name.pem" ] && return 0
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
    -subj "/CN=zeropath-$name/OU=$role" -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$usage" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days "$days" -sha256 \
    -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

issue silo zeropath-silo serverAuth,clientAuth
issue gateway zeropath-gateway clientAuth
# Certificates are public; only keys stay private.
chmod 644 "$dir/ca.pem" "$dir/silo.pem" "$dir/gateway.pem"
