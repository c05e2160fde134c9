package pdf

import (
	"context"
	"crypto/x509"
)

// PrepareFile is Prepare over the file src: the first phase whose second is
// Prepared.FinishFile with the same src. It reads the file once and
// writes nothing.
func PrepareFile(ctx context.Context, src string, cert *x509.Certificate, chain []*x509.Certificate, opts *Options) (*Prepared, error) {
	in, size, err := openInput(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return Prepare(ctx, in, size, cert, chain, opts)
}
