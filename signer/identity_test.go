package signer_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
)

// selfSigned issues a throwaway certificate whose subject is name, or whose
// raw subject is rawSubject when that is set.
func selfSigned(t *testing.T, name pkix.Name, rawSubject []byte) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      name,
		RawSubject:   rawSubject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

func uid(v string) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: signer.OIDUserID, Value: v}
}

func TestParseIdentitySeveralUIDs(t *testing.T) {
	name := pkix.Name{
		Country:      []string{"VN"},
		Province:     []string{"Hà Nội"},
		Locality:     []string{"Quận Ba Đình"},
		Organization: []string{"Bộ Khoa học và Công nghệ"},
		CommonName:   "Phạm Thị Hồng Nhung",
		ExtraNames: []pkix.AttributeTypeAndValue{
			// Each OU its own RDN: in the OrganizationalUnit field they would
			// share one SET, which DER sorts.
			{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "Cục Chứng thực số"},
			uid("MST:0100686209-199"),
			uid("CCCD:001099012345"),
			uid("CMND:012345678"),
			uid("HC:B1234567"),
			uid("MNS:1234567"),
			uid(" cccd : 079201000001 "), // second CCCD, sloppy spacing and case
			uid("BHXH:0123456789"),       // unknown prefix, kept
			uid("no prefix here"),
			{Type: signer.OIDOrganizationIdentifier, Value: "VATVN-0100686209"},
			{Type: asn1.ObjectIdentifier{2, 5, 4, 12}, Value: "Giám đốc"},
			{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "Phòng Kỹ thuật"},
			{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "nhung@example.vn"},
		},
	}
	cert := selfSigned(t, name, nil)
	id := signer.ParseIdentity(cert.Subject)

	assert.Equal(t, "Phạm Thị Hồng Nhung", id.CommonName)
	assert.Equal(t, "Bộ Khoa học và Công nghệ", id.Organization)
	assert.Equal(t, []string{"Cục Chứng thực số", "Phòng Kỹ thuật"}, id.OrganizationalUnits)
	assert.Equal(t, "Quận Ba Đình", id.Locality)
	assert.Equal(t, "Hà Nội", id.Province)
	assert.Equal(t, "VN", id.Country)
	assert.Equal(t, "Giám đốc", id.Title)
	assert.Equal(t, "nhung@example.vn", id.Email)

	assert.Equal(t, "0100686209-199", id.Get(signer.IDTaxCode))
	assert.Equal(t, "0100686209-199", id.TaxCode())
	assert.Equal(t, []string{"001099012345", "079201000001"}, id.All(signer.IDCitizen))
	assert.Equal(t, "012345678", id.Get(signer.IDLegacyID))
	assert.Equal(t, "B1234567", id.Get(signer.IDPassport))
	assert.Equal(t, "1234567", id.Get(signer.IDBudget))
	assert.Equal(t, "0123456789", id.Get("BHXH"))
	assert.Equal(t, "0100686209", id.Get("VATVN"))
	assert.Empty(t, id.Get("XYZ"))

	require.Len(t, id.IDs, 9)
	assert.Equal(t, signer.ID{Type: "", Value: "no prefix here", Raw: "no prefix here", Attribute: signer.OIDUserID}, id.IDs[7])
	assert.Equal(t, " cccd : 079201000001 ", id.IDs[5].Raw)
	assert.True(t, id.IDs[8].Attribute.Equal(signer.OIDOrganizationIdentifier))

	// A name built in code (no Names yet) reads the same.
	assert.Equal(t, id, signer.ParseIdentity(name))
}

func TestParseIdentityFixtures(t *testing.T) {
	id := signer.ParseIdentity(fixtureCert(t, "rsa.crt").Subject)
	assert.Equal(t, "Nguyễn Văn Thử", id.CommonName)
	assert.Equal(t, "Cầu Giấy", id.Locality)
	assert.Equal(t, "0100686209-199", id.TaxCode())
	assert.Equal(t, "001099012345", id.Get(signer.IDCitizen))
	assert.Equal(t, []string{"MST", "CCCD"}, []string{id.IDs[0].Type, id.IDs[1].Type}, "certificate order")

	id = signer.ParseIdentity(fixtureCert(t, "ec.crt").Subject)
	assert.Equal(t, "0312345678", id.TaxCode())
	assert.Equal(t, "0312345678", id.Get("VATVN"))
	assert.Equal(t, "TP Hồ Chí Minh", id.Province)
}

// bmpString encodes s as an ASN.1 BMPString.
func bmpString(s string) asn1.RawValue {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagBMPString, Bytes: b}
}

func TestParseIdentityBMPStringAndNFD(t *testing.T) {
	type atv struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	nfd := norm.NFD.String("Lê Thị Ánh Tuyết")
	require.NotEqual(t, "Lê Thị Ánh Tuyết", nfd)
	utf8 := func(s string) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(s)}
	}
	// RDNSequence with BMPString values (as some Windows CAs write them), an
	// NFD-composed UTF8String and a multi-valued RDN.
	rdns := [][]atv{
		{{asn1.ObjectIdentifier{2, 5, 4, 6}, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagPrintableString, Bytes: []byte("VN")}}},
		{{asn1.ObjectIdentifier{2, 5, 4, 10}, bmpString("Ngân hàng Thương mại Cổ phần Ví Dụ")}},
		{{asn1.ObjectIdentifier{2, 5, 4, 3}, utf8(nfd)}, {signer.OIDUserID, bmpString("CCCD:038190000123")}},
	}
	type rdnSet []atv
	var seq []asn1.RawValue
	for _, rdn := range rdns {
		set, err := asn1.MarshalWithParams(rdnSet(rdn), "set")
		require.NoError(t, err)
		seq = append(seq, asn1.RawValue{FullBytes: set})
	}
	raw, err := asn1.Marshal(seq)
	require.NoError(t, err)

	cert := selfSigned(t, pkix.Name{}, raw)
	id := signer.ParseIdentity(cert.Subject)
	assert.Equal(t, "Ngân hàng Thương mại Cổ phần Ví Dụ", id.Organization)
	assert.Equal(t, "Lê Thị Ánh Tuyết", id.CommonName, "NFC")
	assert.Equal(t, "038190000123", id.Get(signer.IDCitizen))
	assert.Equal(t, "UID=CCCD:038190000123, CN=Lê Thị Ánh Tuyết, O=Ngân hàng Thương mại Cổ phần Ví Dụ, C=VN",
		signer.DisplayName(cert.Subject))
	dn, err := signer.DisplayRawName(cert.RawSubject)
	require.NoError(t, err)
	assert.Equal(t, "UID=CCCD:038190000123+CN=Lê Thị Ánh Tuyết, O=Ngân hàng Thương mại Cổ phần Ví Dụ, C=VN", dn)

	t.Run("same as openssl", func(t *testing.T) {
		openssl := testutil.Tool(t, "openssl", "openssl")
		f := t.TempDir() + "/bmp.pem"
		require.NoError(t, os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600))
		out, err := exec.Command(openssl, "x509", "-in", f, "-noout", "-subject",
			"-nameopt", "RFC2253,-esc_msb,sep_comma_plus_space,utf8").Output()
		require.NoError(t, err)
		// OpenSSL prints the NFD bytes as they are; compare in NFC.
		want := strings.ReplaceAll(strings.TrimSpace(strings.TrimPrefix(string(out), "subject=")), " + ", "+")
		assert.Equal(t, norm.NFC.String(want), dn)
	})

	_, err = signer.DisplayRawName([]byte{0x30, 0x03, 0x01})
	assert.Error(t, err)
}

func TestDisplayName(t *testing.T) {
	cert := fixtureCert(t, "rsa.crt")
	assert.Equal(t,
		"UID=CCCD:001099012345, UID=MST:0100686209-199, CN=Nguyễn Văn Thử, O=Công ty Cổ phần Thử nghiệm Ký số, L=Cầu Giấy, ST=Hà Nội, C=VN",
		signer.DisplayName(cert.Subject))
	assert.NotContains(t, cert.Subject.String(), "UID=", "pkix prints the raw OID; that is why DisplayName exists")

	// Escaping per RFC 4514 §2.4.
	name := pkix.Name{
		Organization: []string{"Công ty A, B & C"},
		CommonName:   "#1 \"Đặc biệt\" <x>;y+z\\ ",
	}
	assert.Equal(t, `CN=\#1 \"Đặc biệt\" \<x\>\;y\+z\\\ , O=Công ty A\, B & C`, signer.DisplayName(name))
	assert.Equal(t, "", signer.DisplayName(pkix.Name{}))
}

func TestDisplayNameRealWorld(t *testing.T) {
	cert := realworldCert(t, "ts24_seller_cert.pem")
	want := `C=VN, ST=TP Hồ Chí Minh, L=285/94B Cách mạng tháng 8\, Phường 12\, Quận 10\, TP Hồ Chí Minh, O=MÃ SỐ THUẾ TEST 109, CN=MÃ SỐ THUẾ TEST 109, UID=MST:0106324653, E=info@ts24.com.vn`
	assert.Equal(t, want, signer.DisplayName(cert.Subject))
	id := signer.ParseIdentity(cert.Subject)
	assert.Equal(t, "0106324653", id.TaxCode())
	assert.Equal(t, "info@ts24.com.vn", id.Email)
	assert.Equal(t, "MÃ SỐ THUẾ TEST 109", id.Organization)
	assert.Equal(t, "CN=SAFE-CA SHA-256 2020, O=SAFETY CERTIFY CORPORATION, C=VN", signer.DisplayName(cert.Issuer))
}

// TestDisplayNameMatchesOpenSSL compares DisplayName with OpenSSL's RFC 2253
// rendering of the same certificates (keys mapped: emailAddress → E).
func TestDisplayNameMatchesOpenSSL(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	files := []string{"testdata/rsa.crt", "testdata/ec.crt", "testdata/ca-sub.pem"}
	if _, err := os.Stat(testutil.RepoRoot(t) + "/../shared/realworld/ts24_seller_cert.pem"); err == nil {
		files = append(files, testutil.Realworld(t, "ts24_seller_cert.pem"), testutil.Realworld(t, "ts24_cqt_cert.pem"))
	}
	for _, f := range files {
		out, err := exec.Command(openssl, "x509", "-in", f, "-noout", "-subject",
			"-nameopt", "RFC2253,-esc_msb,sep_comma_plus_space").Output()
		require.NoError(t, err)
		want := strings.TrimSpace(strings.TrimPrefix(string(out), "subject="))
		want = strings.ReplaceAll(want, "emailAddress=", "E=")
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		certs, err := signer.ParseCertificates(data)
		require.NoError(t, err)
		assert.Equal(t, want, signer.DisplayName(certs[0].Subject), f)
	}
}

func realworldCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(testutil.Realworld(t, name))
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return cert
}

func TestParseIdentitySerialNumber(t *testing.T) {
	for _, tc := range []struct {
		serial, typ, value string
	}{
		{"IDCVN-001099012345", "IDCVN", "001099012345"},
		{"PASVN-B1234567", "PASVN", "B1234567"},
		{"TINVN-0100686209", "TINVN", "0100686209"},
		{"CCCD:079201000001", signer.IDCitizen, "079201000001"},
		{"MST:0312345678", signer.IDTaxCode, "0312345678"},
	} {
		id := signer.ParseIdentity(selfSigned(t, pkix.Name{CommonName: "x", SerialNumber: tc.serial}, nil).Subject)
		assert.Equal(t, tc.serial, id.SerialNumber)
		require.Len(t, id.IDs, 1, tc.serial)
		assert.Equal(t, tc.typ, id.IDs[0].Type)
		assert.Equal(t, tc.value, id.IDs[0].Value)
		assert.True(t, id.IDs[0].Attribute.Equal(signer.OIDSerialNumber))
	}
	// An ordinary serial number is not an identifier.
	id := signer.ParseIdentity(pkix.Name{SerialNumber: "ABC-123:4"})
	assert.Equal(t, "ABC-123:4", id.SerialNumber)
	assert.Empty(t, id.IDs)
	assert.Equal(t, "0100686209", signer.ParseIdentity(pkix.Name{SerialNumber: "TINVN-0100686209"}).TaxCode())
}
