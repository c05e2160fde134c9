package xml

import (
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"strings"
)

func elliptic256() elliptic.Curve { return elliptic.P256() }
func elliptic384() elliptic.Curve { return elliptic.P384() }
func b64(b []byte) string         { return base64.StdEncoding.EncodeToString(b) }

func x509MarshalPKCS8(k any) ([]byte, error) { return x509.MarshalPKCS8PrivateKey(k) }

func replaceFirst(s, old, new string) string { return strings.Replace(s, old, new, 1) }
