package signer_test

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/signer"
)

// The text a CA asks for becomes a name whose Vietnamese text, order and
// identifier read back the same through crypto/x509 and ParseIdentity, with
// every text value a UTF8String and C a PrintableString.
func TestSubjectRoundTrip(t *testing.T) {
	// "Nguyễn" written with a combining tilde+circumflex: stored in NFC.
	decomposed := norm.NFD.String("Nguyễn Văn An")
	attrs, err := signer.ParseSubject("CN=" + decomposed + `,OU=Phòng Kế toán,O=Công ty TNHH Ánh Dương\, Chi nhánh Hà Nội,L=Cầu Giấy,ST=Hà Nội,C=VN`)
	require.NoError(t, err)
	uid, err := signer.UIDAttribute("cccd", "001203012345")
	require.NoError(t, err)
	attrs = append(attrs, uid)
	der, err := signer.MarshalSubject(attrs)
	require.NoError(t, err)

	var rdns pkix.RDNSequence
	rest, err := asn1.Unmarshal(der, &rdns)
	require.NoError(t, err)
	require.Empty(t, rest)
	var name pkix.Name
	name.FillFromRDNSequence(&rdns)
	id := signer.ParseIdentity(name)
	assert.Equal(t, "Nguyễn Văn An", id.CommonName)
	assert.Equal(t, "Công ty TNHH Ánh Dương, Chi nhánh Hà Nội", id.Organization)
	assert.Equal(t, []string{"Phòng Kế toán"}, id.OrganizationalUnits)
	assert.Equal(t, "Cầu Giấy", id.Locality)
	assert.Equal(t, "Hà Nội", id.Province)
	assert.Equal(t, "VN", id.Country)
	assert.Equal(t, "001203012345", id.Get(signer.IDCitizen))
	text, err := signer.DisplayRawName(der)
	require.NoError(t, err)
	assert.Equal(t, `UID=CCCD:001203012345, CN=Nguyễn Văn An, OU=Phòng Kế toán, O=Công ty TNHH Ánh Dương\, Chi nhánh Hà Nội, L=Cầu Giấy, ST=Hà Nội, C=VN`, text)

	// String types, read from the DER directly.
	in := cryptobyte.String(der)
	require.True(t, in.ReadASN1(&in, cbasn1.SEQUENCE))
	var tags []cbasn1.Tag
	for !in.Empty() {
		var set, seq cryptobyte.String
		var oid asn1.ObjectIdentifier
		var tag cbasn1.Tag
		var v cryptobyte.String
		require.True(t, in.ReadASN1(&set, cbasn1.SET))
		require.True(t, set.ReadASN1(&seq, cbasn1.SEQUENCE))
		require.True(t, seq.ReadASN1ObjectIdentifier(&oid))
		require.True(t, seq.ReadAnyASN1(&v, &tag))
		tags = append(tags, tag)
	}
	assert.Equal(t, []cbasn1.Tag{cbasn1.PrintableString, cbasn1.UTF8String, cbasn1.UTF8String, cbasn1.UTF8String, cbasn1.UTF8String, cbasn1.UTF8String, cbasn1.UTF8String}, tags)
}

func TestParseSubjectForms(t *testing.T) {
	attrs, err := signer.ParseSubject(` CN = Trần Thị B , E=b@example.vn, 2.5.4.97=VATVN-0100686209 ;OID.2.5.4.12=Giám đốc, S=Đà Nẵng, C=VN`)
	require.NoError(t, err)
	require.Len(t, attrs, 6)
	assert.Equal(t, signer.NameAttribute{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "VN"}, attrs[0])
	assert.Equal(t, "Đà Nẵng", attrs[1].Value)
	assert.Equal(t, "Giám đốc", attrs[2].Value)
	assert.Equal(t, signer.OIDOrganizationIdentifier, attrs[3].Type)
	assert.Equal(t, "b@example.vn", attrs[4].Value)
	assert.Equal(t, "Trần Thị B", attrs[5].Value)

	esc, err := signer.ParseSubject(`CN=A\2C B\+C\ `)
	require.NoError(t, err)
	assert.Equal(t, "A, B+C ", esc[0].Value, "hex and character escapes; an escaped trailing space is kept")
}

func TestSubjectErrors(t *testing.T) {
	for _, s := range []string{
		"", "   ", "CN", "=x", "XX=y", "CN=a+UID=b", "CN=", "CN=a,C=Vietnam", "C=vn",
		"CN=a\\", `CN="quoted"`, "CN=#04024142", "SERIALNUMBER=Số 1", "E=nguyễn@example.vn", "OID.9=x",
		"CN=\xff",
	} {
		_, err := signer.ParseSubject(s)
		assert.ErrorIs(t, err, signer.ErrBadSubject, "%q", s)
	}
	_, err := signer.MarshalSubject(nil)
	assert.ErrorIs(t, err, signer.ErrBadSubject)
	for _, c := range [][2]string{
		{"CCCD", "12345"}, {"CCCD", "00120301234X"}, {"CMND", "1234567890"}, {"MST", "010068620"},
		{"MST", "0100686209-19"}, {"HC", "B12"}, {"HC", "B 1234567"}, {"", "1"}, {"MNS", "12"}, {"X1", "y"}, {"ABC", "a b"},
	} {
		_, err := signer.UIDAttribute(c[0], c[1])
		assert.ErrorIs(t, err, signer.ErrBadSubject, "%v", c)
	}
	for _, c := range [][3]string{
		{"cccd", "001203012345", "CCCD:001203012345"}, {"CMND", "123456789", "CMND:123456789"},
		{"MST", "0100686209", "MST:0100686209"}, {"MST", "0100686209-199", "MST:0100686209-199"},
		{"hc", "b1234567", "HC:B1234567"}, {"MNS", "1234567", "MNS:1234567"}, {"BHXH", "0123456789", "BHXH:0123456789"},
	} {
		a, err := signer.UIDAttribute(c[0], c[1])
		require.NoError(t, err, "%v", c)
		assert.Equal(t, c[2], a.Value)
		assert.Equal(t, signer.OIDUserID, a.Type)
	}
}

// FuzzParseSubject: any text gives either ErrBadSubject or attributes that
// encode, never a panic.
func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{
		"CN=Nguyễn Văn An,O=Công ty,ST=Hà Nội,C=VN", `CN=A\2C\ B`, "UID=MST:0100686209,CN=x", "2.5.4.3=a;C=VN",
		"CN=a+b", `CN=\`, "E=a@b", "OID.1.2.3=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		attrs, err := signer.ParseSubject(s)
		if err != nil {
			if !assert.ErrorIs(t, err, signer.ErrBadSubject) {
				t.FailNow()
			}
			return
		}
		if _, err := signer.MarshalSubject(attrs); err != nil {
			t.Fatalf("ParseSubject(%q) accepted attributes MarshalSubject refuses: %v", s, err)
		}
	})
}

func ExampleParseSubject() {
	attrs, err := signer.ParseSubject("CN=Nguyễn Văn An,O=Công ty TNHH Ánh Dương,ST=Hà Nội,C=VN")
	if err != nil {
		panic(err)
	}
	uid, err := signer.UIDAttribute(signer.IDTaxCode, "0100686209")
	if err != nil {
		panic(err)
	}
	der, err := signer.MarshalSubject(append(attrs, uid))
	if err != nil {
		panic(err)
	}
	text, _ := signer.DisplayRawName(der)
	fmt.Println(text)
	// Output: UID=MST:0100686209, CN=Nguyễn Văn An, O=Công ty TNHH Ánh Dương, ST=Hà Nội, C=VN
}
