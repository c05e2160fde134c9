package verify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/kyso-vn/kyso/internal/certparse"
)

// ErrNoCertificates: the input holds no certificate in any accepted encoding.
var ErrNoCertificates = errors.New("verify: no certificate found")

// ParseCertificates reads every certificate in data, which may be:
//   - one or more PEM blocks of type CERTIFICATE, X509 CERTIFICATE,
//     TRUSTED CERTIFICATE (the OpenSSL trust suffix is ignored), PKCS7 or
//     CMS (a .p7b/.p7c bundle);
//   - a DER certificate, or a concatenation of DER certificates;
//   - a DER .p7b/.p7c bundle (a degenerate PKCS#7 SignedData, as NEAC
//     publishes its roots).
//
// Other PEM blocks (keys, CRLs) are skipped. It fails with ErrNoCertificates
// when nothing was found and with a wrapped parse error when a block that
// claims to be a certificate or bundle is malformed.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	certs, err := certparse.ParseBundle(data)
	switch {
	case errors.Is(err, certparse.ErrNoCertificates):
		return nil, fmt.Errorf("%w%s", ErrNoCertificates, strings.TrimPrefix(err.Error(), certparse.ErrNoCertificates.Error()))
	case err != nil:
		return nil, fmt.Errorf("verify: %w", err)
	}
	return certs, nil
}
