#!/bin/sh
# Regenerates the software-key fixtures of package signer with OpenSSL 3.
# Run from this directory: sh gen.sh. Passwords: "kyso-test" unless noted.
# The RFC 9579 (PBMAC1) files are the test vectors of RFC 9579 Appendix A.1-A.4
# (password "1234"); they are not regenerated here.
set -eu
exec 2>/dev/null # OpenSSL key-generation progress
P=pass:kyso-test
D=3650
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/ca.cnf" <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ee]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# Root (P-384) and issuing CA (P-256).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/root.key"
openssl req -x509 -new -utf8 -key "$tmp/root.key" -days $D -sha384 \
  -subj "/C=VN/O=Kyso Test/CN=Kyso Test Root CA" -out ca-root.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/sub.key"
openssl req -new -utf8 -key "$tmp/sub.key" -subj "/C=VN/O=Kyso Test/CN=Kyso Test Issuing CA" -out "$tmp/sub.csr"
openssl x509 -req -in "$tmp/sub.csr" -CA ca-root.pem -CAkey "$tmp/root.key" -CAserial "$tmp/serial" -CAcreateserial \
  -days $D -sha384 -extfile "$tmp/ca.cnf" -extensions ca -out ca-sub.pem

ee() { # ee KEYFILE SUBJECT OUT
  openssl req -new -utf8 -key "$1" -subj "$2" -out "$tmp/ee.csr"
  openssl x509 -req -in "$tmp/ee.csr" -CA ca-sub.pem -CAkey "$tmp/sub.key" -CAserial "$tmp/serial" -CAcreateserial \
    -days $D -sha256 -extfile "$tmp/ca.cnf" -extensions ee -out "$3"
}

# RSA-2048 end entity with a Vietnamese subject and two UIDs.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-pkcs8.pem
ee rsa-pkcs8.pem "/C=VN/ST=Hà Nội/L=Cầu Giấy/O=Công ty Cổ phần Thử nghiệm Ký số/CN=Nguyễn Văn Thử/UID=MST:0100686209-199/UID=CCCD:001099012345" rsa.crt
openssl pkey -in rsa-pkcs8.pem -traditional -out rsa-pkcs1.pem
openssl pkcs8 -topk8 -nocrypt -in rsa-pkcs8.pem -outform DER -out rsa-pkcs8.der
openssl rsa -in rsa-pkcs8.pem -outform DER -traditional -out rsa-pkcs1.der 2>/dev/null
openssl x509 -in rsa.crt -outform DER -out rsa.der
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -v2 aes-256-cbc -v2prf hmacWithSHA256 -passout $P -out rsa-enc-aes256.pem
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -v2 des3 -v2prf hmacWithSHA1 -passout $P -out rsa-enc-3des.pem
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -scrypt -passout $P -out rsa-enc-scrypt.pem
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -v2 aes-256-cbc -outform DER -passout $P -out rsa-enc.der
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -v1 PBE-SHA1-3DES -passout $P -out rsa-enc-pbes1.pem
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -v2 camellia-256-cbc -passout $P -out rsa-enc-camellia.pem
openssl rsa -in rsa-pkcs8.pem -traditional -aes256 -passout $P -out rsa-legacy-enc.pem 2>/dev/null
openssl pkcs12 -export -legacy -inkey rsa-pkcs8.pem -in rsa.crt -certfile ca-sub.pem -passout $P -out rsa-legacy.p12
cat ca-root.pem ca-sub.pem > "$tmp/chain.pem"
openssl crl2pkcs7 -nocrl -certfile "$tmp/chain.pem" -outform DER -out chain.p7b
openssl pkcs12 -export -inkey rsa-pkcs8.pem -in rsa.crt -certfile "$tmp/chain.pem" -passout $P -out rsa-modern.p12
openssl pkcs12 -export -nokeys -in rsa.crt -passout $P -out certonly.p12
openssl pkcs12 -export -nocerts -inkey rsa-pkcs8.pem -passout $P -out keyonly.p12

# ECDSA P-256 end entity (SEC 1 key), organisation certificate.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ec.key"
openssl pkey -in "$tmp/ec.key" -out ec-pkcs8.pem
openssl ec -in "$tmp/ec.key" -out ec-sec1.pem 2>/dev/null
ee ec-pkcs8.pem "/C=VN/ST=TP Hồ Chí Minh/O=Công ty TNHH Ví dụ/CN=Công ty TNHH Ví dụ/UID=MST:0312345678/organizationIdentifier=VATVN-0312345678" ec.crt
openssl pkcs8 -topk8 -in ec-pkcs8.pem -v2 aes-128-cbc -v2prf hmacWithSHA512 -passout $P -out ec-enc-sha512.pem
openssl pkcs12 -export -inkey ec-pkcs8.pem -in ec.crt -certfile ca-sub.pem -passout "pass:Mật khẩu-123" -out ec-modern-utf8pass.p12
openssl pkcs12 -export -legacy -inkey ec-pkcs8.pem -in ec.crt -passout $P -out ec-legacy.p12
# PEM bundle as `openssl pkcs12 -nodes` writes it (bag attributes between blocks).
openssl pkcs12 -in ec-legacy.p12 -legacy -nodes -passin $P -out ec-bundle.pem

# Unsupported keys.
for alg in ED25519 DSA; do
  if [ $alg = DSA ]; then
    openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$tmp/dsa.param"
    openssl genpkey -paramfile "$tmp/dsa.param" -out "$tmp/k.pem"
  else
    openssl genpkey -algorithm $alg -out "$tmp/k.pem"
  fi
  lc=$(echo $alg | tr A-Z a-z)
  openssl req -x509 -new -key "$tmp/k.pem" -days $D -subj "/CN=$alg test" -out "$tmp/c.pem"
  openssl pkcs12 -export -inkey "$tmp/k.pem" -in "$tmp/c.pem" -passout $P -out $lc.p12
  cp "$tmp/k.pem" $lc-pkcs8.pem
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-224 -out "$tmp/p224.key"
openssl ec -in "$tmp/p224.key" -out p224-sec1.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out rsa512-pkcs8.pem
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out rsapss-pkcs8.pem
