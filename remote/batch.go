package remote

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kyso-vn/kyso/signer"
)

// BatchSigner signs several digests under one confirmation of the user.
// The CSC and sp769 signers implement it; so can any signer.Signer through
// [Sequential] (one confirmation per digest).
type BatchSigner interface {
	signer.Signer
	// SignDigests signs every digest (all computed with opts.HashFunc())
	// and returns the signatures in order, each checked against the
	// certificate. It fails as a whole: no signature is returned unless
	// all are.
	SignDigests(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error)
}

// Prepared is the first phase of any two-phase format: the digest its key
// must sign and how. pdf.Prepared and xml.Prepared satisfy it as they are,
// and so does a CAdES prepared signature.
type Prepared interface {
	Digest() []byte
	SignerOpts() crypto.SignerOpts
}

// SignPrepared signs the digests of all documents under one confirmation
// and returns the signatures in the order of docs. The documents must
// share the hash and signature scheme (the same signing options).
func SignPrepared(ctx context.Context, s BatchSigner, docs []Prepared) ([][]byte, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("%w: no documents", ErrBatch)
	}
	digests := make([][]byte, len(docs))
	opts := docs[0].SignerOpts()
	for i, d := range docs {
		if !sameOpts(opts, d.SignerOpts()) {
			return nil, fmt.Errorf("%w: document %d is to be signed with %v, document 1 with %v", ErrBatch, i+1, describeOpts(d.SignerOpts()), describeOpts(opts))
		}
		digests[i] = d.Digest()
	}
	return s.SignDigests(ctx, digests, opts)
}

func sameOpts(a, b crypto.SignerOpts) bool {
	if a == nil || b == nil || a.HashFunc() != b.HashFunc() {
		return false
	}
	pa, oka := a.(*rsa.PSSOptions)
	pb, okb := b.(*rsa.PSSOptions)
	if oka != okb {
		return false
	}
	return !oka || pa.SaltLength == pb.SaltLength
}

func describeOpts(o crypto.SignerOpts) string {
	if o == nil {
		return "no options"
	}
	if _, ok := o.(*rsa.PSSOptions); ok {
		return o.HashFunc().String() + " RSA-PSS"
	}
	return o.HashFunc().String()
}

// checkBatch checks digests before anything is sent.
func checkBatch(digests [][]byte, opts crypto.SignerOpts, max int) error {
	if len(digests) == 0 {
		return fmt.Errorf("%w: no digests", ErrBatch)
	}
	if max > 0 && len(digests) > max {
		return fmt.Errorf("%w: %d documents, the credential allows %d signatures per authorization", ErrBatch, len(digests), max)
	}
	if opts == nil {
		return fmt.Errorf("remote: %w: no hash given", signer.ErrUnsupportedAlgorithm)
	}
	for i, d := range digests {
		if len(d) != opts.HashFunc().Size() {
			return fmt.Errorf("%w: digest %d is %d bytes, %v needs %d", ErrBatch, i+1, len(d), opts.HashFunc(), opts.HashFunc().Size())
		}
	}
	return nil
}

// signOne signs one digest with s as a batch of one.
func signOne(ctx context.Context, s BatchSigner, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sigs, err := s.SignDigests(ctx, [][]byte{digest}, opts)
	if err != nil {
		return nil, err
	}
	return sigs[0], nil
}

// Sequential makes a BatchSigner of any signer.Signer by signing the
// digests one after the other (with a software key or a token that is
// what batch signing amounts to).
func Sequential(s signer.Signer) BatchSigner { return sequential{s} }

type sequential struct{ signer.Signer }

func (s sequential) SignDigests(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error) {
	if err := checkBatch(digests, opts, 0); err != nil {
		return nil, err
	}
	out := make([][]byte, len(digests))
	for i, d := range digests {
		sig, err := s.SignDigest(ctx, d, opts)
		if err != nil {
			return nil, fmt.Errorf("remote: document %d of %d: %w", i+1, len(digests), err)
		}
		out[i] = sig
	}
	return out, nil
}

// Job is one document of a file batch: its prepared signature, where the
// signed document goes, and how to finish it once the signature is back.
type Job struct {
	// Prepared is the document's first phase (pdf.Prepare, xml.Prepare, …).
	Prepared Prepared
	// Out is the path of the signed document.
	Out string
	// Finish writes the signed document to w, given the signature over
	// Prepared.Digest() (for pdf: p.Finish(ctx, w, in, size, sig); for
	// xml: p.Finish(ctx, sig) and write the bytes).
	Finish func(ctx context.Context, w io.Writer, sig []byte) error
}

// ErrOutputExists: a file batch would overwrite an output file that
// appeared while it ran.
var ErrOutputExists = errors.New("remote: output file exists")

// SignFiles signs the documents of jobs under one confirmation and writes
// each to its Out path. Either every output appears or none: the signed
// documents are first written to temporary files beside their
// destinations, which are renamed into place only when all are complete;
// any failure (the service, the user declining, a TSA, a full disk)
// removes them all. Outputs that already exist are replaced only at the
// very end, as a group.
func SignFiles(ctx context.Context, s BatchSigner, jobs []Job) (err error) {
	if len(jobs) == 0 {
		return fmt.Errorf("%w: no documents", ErrBatch)
	}
	seen := map[string]int{}
	docs := make([]Prepared, len(jobs))
	for i, j := range jobs {
		if j.Prepared == nil || j.Finish == nil || j.Out == "" {
			return fmt.Errorf("%w: job %d lacks Prepared, Out or Finish", ErrBatch, i+1)
		}
		abs, aerr := filepath.Abs(j.Out)
		if aerr != nil {
			return fmt.Errorf("%w: job %d: %v", ErrBatch, i+1, aerr)
		}
		if k, dup := seen[abs]; dup {
			return fmt.Errorf("%w: documents %d and %d both go to %s", ErrBatch, k+1, i+1, j.Out)
		}
		seen[abs] = i
		docs[i] = j.Prepared
		// Check the destination before the user is asked to confirm.
		if st, serr := os.Stat(filepath.Dir(abs)); serr != nil || !st.IsDir() {
			return fmt.Errorf("%w: job %d: %s is not a directory", ErrBatch, i+1, filepath.Dir(j.Out))
		}
	}
	sigs, err := SignPrepared(ctx, s, docs)
	if err != nil {
		return err
	}
	tmps := make([]string, len(jobs))
	defer func() {
		if err != nil {
			for _, t := range tmps {
				if t != "" {
					os.Remove(t)
				}
			}
		}
	}()
	for i, j := range jobs {
		f, cerr := os.CreateTemp(filepath.Dir(j.Out), "."+filepath.Base(j.Out)+".*.tmp")
		if cerr != nil {
			return fmt.Errorf("remote: document %d: %w", i+1, cerr)
		}
		tmps[i] = f.Name()
		werr := j.Finish(ctx, f, sigs[i])
		cerr = f.Close()
		if werr != nil {
			return fmt.Errorf("remote: finishing %s: %w", j.Out, werr)
		}
		if cerr != nil {
			return fmt.Errorf("remote: writing %s: %w", j.Out, cerr)
		}
		if cerr = os.Chmod(f.Name(), 0o644); cerr != nil {
			return cerr
		}
	}
	// Every document is complete: move them into place. Should a rename
	// fail (it does not on one file system), the outputs already moved
	// that did not exist before are removed again.
	existed := make([]bool, len(jobs))
	for i, j := range jobs {
		_, serr := os.Lstat(j.Out)
		existed[i] = serr == nil
	}
	for i, j := range jobs {
		if rerr := os.Rename(tmps[i], j.Out); rerr != nil {
			replaced := 0
			for k := range i {
				if existed[k] {
					replaced++
				} else {
					os.Remove(jobs[k].Out)
				}
			}
			if replaced > 0 {
				return fmt.Errorf("remote: %s: %w (%d existing outputs were already replaced)", j.Out, rerr, replaced)
			}
			return fmt.Errorf("remote: %s: %w", j.Out, rerr)
		}
		tmps[i] = ""
	}
	return nil
}
