package signer_test

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
)

// Old CA2 certificates carry the tax code in the province (ST=MST:…).
func TestParseIdentityProvinceTaxCode(t *testing.T) {
	der, err := os.ReadFile(testutil.Realworld(t, "leaf_SieuViet_CA2_2013.cer"))
	require.NoError(t, err)
	certs, err := signer.ParseCertificates(der)
	require.NoError(t, err)
	id := signer.ParseIdentity(certs[0].Subject)
	assert.Equal(t, "0106054453", id.TaxCode())
	assert.Empty(t, id.Province, "MST:… is not a province")
	require.Len(t, id.IDs, 1)
	assert.True(t, id.IDs[0].Attribute.Equal(asn1.ObjectIdentifier{2, 5, 4, 8}))
}

func TestParseIdentityUIDForms(t *testing.T) {
	uid := func(v string) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: signer.OIDUserID, Value: v}
	}
	for _, c := range []struct {
		name      pkix.Name
		typ, want string
	}{
		{pkix.Name{Names: []pkix.AttributeTypeAndValue{uid("MST: 0312345678-001")}}, signer.IDTaxCode, "0312345678-001"},
		{pkix.Name{Names: []pkix.AttributeTypeAndValue{uid("mst=0312345678")}}, signer.IDTaxCode, "0312345678"},
		{pkix.Name{Names: []pkix.AttributeTypeAndValue{uid("CMT:012345678")}}, signer.IDLegacyID, "012345678"},
		{pkix.Name{Names: []pkix.AttributeTypeAndValue{uid("CMTND:012345678")}}, signer.IDLegacyID, "012345678"},
		{pkix.Name{Names: []pkix.AttributeTypeAndValue{uid("PASSPORT:B1234567")}}, signer.IDPassport, "B1234567"},
		{pkix.Name{Names: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "MST:0312345678"}}}, signer.IDTaxCode, "0312345678"},
		{pkix.Name{Names: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 7}, Value: "CCCD:001099000001"}}}, signer.IDCitizen, "001099000001"},
	} {
		id := signer.ParseIdentity(c.name)
		assert.Equal(t, c.want, id.Get(c.typ), "%v", c.name.Names)
	}
	// Ordinary places and units stay what they are.
	id := signer.ParseIdentity(pkix.Name{Names: []pkix.AttributeTypeAndValue{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 8}, Value: "Hà Nội"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "Phòng Kế toán"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 8}, Value: "MST:"},
	}})
	assert.Equal(t, "Hà Nội", id.Province)
	assert.Equal(t, []string{"Phòng Kế toán"}, id.OrganizationalUnits)
	assert.Empty(t, id.IDs)
}
