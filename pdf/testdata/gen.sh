#!/bin/sh
# Regenerates the PDF corpus in this directory with other producers
# (mutool, qpdf, openssl, a small Python writer). Run from anywhere:
#   sh pdf/testdata/gen.sh
set -eu
cd "$(dirname "$0")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/p1.txt" <<'P'
%%MediaBox 0 0 595 842
%%Font F1 Times-Roman
BT /F1 24 Tf 72 760 Td (kyso corpus page 1) Tj ET
BT /F1 12 Tf 72 730 Td (Made by mutool create.) Tj ET
P
cat > "$T/p2.txt" <<'P'
%%MediaBox 0 0 595 842
%%Font F1 Helvetica
BT /F1 24 Tf 72 760 Td (kyso corpus page 2) Tj ET
P
mutool create -o simple.pdf "$T/p1.txt" "$T/p2.txt"
qpdf --object-streams=generate simple.pdf objstm.pdf
qpdf --linearize simple.pdf linearized.pdf
qpdf --rotate=+90:1 simple.pdf rotated.pdf
qpdf --allow-weak-crypto --encrypt "" owner 40 -- simple.pdf rc4-40.pdf
qpdf --allow-weak-crypto --encrypt "" owner 128 --use-aes=n -- simple.pdf rc4-128.pdf
qpdf --encrypt "" owner 128 --use-aes=y -- simple.pdf aes128.pdf
qpdf --encrypt "" owner 256 -- simple.pdf aes256.pdf
qpdf --encrypt "nguoidung" owner 256 -- simple.pdf aes256-userpw.pdf
qpdf --object-streams=generate --encrypt "" owner 128 --use-aes=y -- simple.pdf aes128-objstm.pdf
qpdf --allow-weak-crypto --encrypt "" owner 256 --force-R5 -- simple.pdf aes256-r5.pdf
python3 mkpdf.py .
# A document signed by another tool (mutool, self-signed RSA key) in its
# own empty field, leaving none to fill.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.pem" -days 3650 \
  -subj "/CN=Mutool Test Signer/O=kyso corpus" 2>/dev/null
openssl pkcs12 -export -inkey "$T/k.pem" -in "$T/c.pem" -out "$T/id.p12" -passout pass:pw \
  -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1
mutool sign -s "$T/id.p12" -P pw -o mutool-signed.pdf form-empty-field.pdf 5
ls -l *.pdf
