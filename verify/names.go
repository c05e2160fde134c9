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

// dnEscaper escapes RFC 4514 special characters (built once: a Replacer
// allocates its tables on first use).
var dnEscaper = strings.NewReplacer(",", `\,`, "+", `\+`, `"`, `\"`, `\`, `\\`, "<", `\<`, ">", `\>`, ";", `\;`)

// formatName renders a distinguished name for people, most specific
// attribute first as RFC 4514 does, naming UID and organizationIdentifier
// (which pkix.Name.String prints as raw OIDs, the form Vietnamese portals
// expect being "UID=MST:…").
func formatName(n pkix.Name) string {
	if len(n.Names) == 0 {
		return n.String()
	}
	var b strings.Builder
	b.Grow(32 * len(n.Names))
	for i := len(n.Names) - 1; i >= 0; i-- {
		a := n.Names[i]
		label := ""
		for _, l := range nameLabels {
			if l.oid.Equal(a.Type) {
				label = l.label
				break
			}
		}
		if label == "" {
			label = a.Type.String()
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(label)
		b.WriteByte('=')
		v, ok := a.Value.(string)
		if !ok {
			v = fmt.Sprint(a.Value)
		}
		dnEscaper.WriteString(&b, v)
	}
	return b.String()
}
