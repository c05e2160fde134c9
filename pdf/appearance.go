package pdf

import (
	"crypto/x509"
	"time"
)

func buildAppearance(u *update, ap *Appearance, rect [4]float64, rotate int, cert *x509.Certificate, t time.Time) (ref, error) {
	return ref{}, ErrUnsupported
}
