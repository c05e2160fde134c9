package cms

import "github.com/kyso-vn/kyso/internal/ber"

// Some producers (streaming CMS encoders, some Windows and Java signing
// plug-ins) emit BER: indefinite lengths and constructed OCTET STRINGs.
// Parse first insists on DER; when that fails it converts BER to DER with
// berToDER and parses the result, flagging SignedData.BER. The signature
// over signed attributes is always checked against their DER encoding, as
// RFC 5652 §5.4 defines it.

// berToDER re-encodes one BER element (and nothing after it) as DER lengths:
// indefinite and non-minimal lengths become minimal definite ones, and
// constructed universal OCTET STRINGs become primitive ones.
func berToDER(b []byte) ([]byte, error) { return ber.ToDER(b) }
