#!/usr/bin/env bash
# Regenerates the test-only TLS material of this directory (never use it outside tests).
set -euo pipefail
cd "$(dirname "$0")"
days=36500
# A CA that signs both the server and the client certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days $days -subj "/CN=runbookd test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
# The server: localhost and 127.0.0.1, PKCS#8 key.
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days $days -extfile server.ext
# A client (Alertmanager's tls_config cert_file/key_file), also as PKCS#12 for Java's HttpClient.
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=alertmanager"
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days $days -extfile client.ext
openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12 -passout pass:changeit -name client
rm -f server.csr client.csr server.ext client.ext ca.srl ca.key
