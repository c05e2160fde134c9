package xml

import (
	"crypto/elliptic"
	"encoding/base64"
)

func elliptic256() elliptic.Curve { return elliptic.P256() }
func elliptic384() elliptic.Curve { return elliptic.P384() }
func b64(b []byte) string         { return base64.StdEncoding.EncodeToString(b) }
