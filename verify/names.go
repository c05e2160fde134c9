package verify

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

var nameLabels = []struct {
	oid   asn1.ObjectIdentifier
	label string
}{
	{asn1.ObjectIdentifier{2, 5, 4, 3}, "CN"},
	{asn1.ObjectIdentifier{2, 5, 4, 4}, "SN"},
	{asn1.ObjectIdentifier{2, 5, 4, 5}, "SERIALNUMBER"},
	{asn1.ObjectIdentifier{2, 5, 4, 6}, "C"},
	{asn1.ObjectIdentifier{2, 5, 4, 7}, "L"},
	{asn1.ObjectIdentifier{2, 5, 4, 8}, "ST"},
	{asn1.ObjectIdentifier{2, 5, 4, 9}, "STREET"},
	{asn1.ObjectIdentifier{2, 5, 4, 10}, "O"},
	{asn1.ObjectIdentifier{2, 5, 4, 11}, "OU"},
	{asn1.ObjectIdentifier{2, 5, 4, 12}, "T"},
	{asn1.ObjectIdentifier{2, 5, 4, 42}, "GN"},
	{asn1.ObjectIdentifier{2, 5, 4, 97}, "organizationIdentifier"},
	{asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}, "UID"},
	{asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, "DC"},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, "E"},
}

// formatName renders a distinguished name for people, most specific
// attribute first as RFC 4514 does, naming UID and organizationIdentifier
// (which pkix.Name.String prints as raw OIDs, the form Vietnamese portals
// expect being "UID=MST:…").
func formatName(n pkix.Name) string {
	parts := make([]string, 0, len(n.Names))
	for i := len(n.Names) - 1; i >= 0; i-- {
		a := n.Names[i]
		label := a.Type.String()
		for _, l := range nameLabels {
			if l.oid.Equal(a.Type) {
				label = l.label
				break
			}
		}
		v := fmt.Sprint(a.Value)
		v = strings.NewReplacer(",", `\,`, "+", `\+`, `"`, `\"`, `\`, `\\`, "<", `\<`, ">", `\>`, ";", `\;`).Replace(v)
		parts = append(parts, label+"="+v)
	}
	if len(parts) == 0 {
		return n.String()
	}
	return strings.Join(parts, ",")
}
