package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/kyso-vn/kyso/internal/certparse"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
)

// chunkSize is the read size of the streaming hash and copy.
const chunkSize = 1 << 20

// Prepared is a document laid out for signing, waiting for its signature:
// the first phase of two-phase signing. It pins the signing time, the field,
// the placeholder and the byte ranges, and holds only the appended update
// (not the input). Digest returns what the key must sign.
//
// A Prepared can be serialised with MarshalBinary and finished later, in
// another process, with the same input file.
type Prepared struct {
	base        int64
	update      []byte // the appended section, /Contents still zero
	contentsAt  int    // offset of '<' in update
	contentsLen int    // length of the hole including '<' and '>'
	hash        crypto.Hash
	pss         bool
	legacy      bool
	signingTime time.Time
	cert        *x509.Certificate
	chain       []*x509.Certificate
	docDigest   []byte // hash of the byte ranges
	tsaURL      string
	level       Level
	password    string // not serialised

	cms *cms.Prepared

	// HTTPClient, when set, is used to reach the TSA in Finish (and the
	// OCSP responders and CRL servers for B-LT). It is not part of the
	// serialised state.
	HTTPClient *http.Client
	// LTV, when set, controls the validation data of a B-LT or B-LTA
	// Finish (see Options.LTV). It is not part of the serialised state: to
	// finish an encrypted document at B-LT in another process, set it with
	// the document's Password.
	LTV *LTVOptions
}

// Prepare lays out a signature on the document in r (size bytes) for the
// certificate cert issued by chain, and hashes the signed byte ranges. It
// reads the input once. The key holder must sign p.Digest() with
// p.SignerOpts(); then p.Finish writes the signed document. ctx bounds the
// probe request to the TSA, when one is configured.
func Prepare(ctx context.Context, r io.ReaderAt, size int64, cert *x509.Certificate, chain []*x509.Certificate, opts *Options) (*Prepared, error) {
	if cert == nil {
		return nil, fmt.Errorf("pdf: prepare: %w", signer.ErrNoCertificate)
	}
	if opts == nil {
		opts = &Options{}
	}
	p, err := layout(ctx, r, size, cert, chain, opts)
	if err != nil {
		return nil, err
	}
	h := p.hash.New()
	if err := copyRange(h, r, 0, size); err != nil {
		return nil, err
	}
	if err := p.digestFrom(h); err != nil {
		return nil, err
	}
	return p, nil
}

// layout builds the update and the Prepared value without hashing.
func layout(ctx context.Context, r io.ReaderAt, size int64, cert *x509.Certificate, chain []*x509.Certificate, opts *Options) (*Prepared, error) {
	if size <= 0 {
		return nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if h != crypto.SHA256 && h != crypto.SHA384 && h != crypto.SHA512 {
		return nil, fmt.Errorf("%w: hash %v (use SHA-256, SHA-384 or SHA-512)", signer.ErrUnsupportedAlgorithm, h)
	}
	switch opts.Level {
	case LevelBB:
	case LevelBT, LevelBLT, LevelBLTA:
		if opts.TimestampURL == "" {
			return nil, fmt.Errorf("%w: level %v needs TimestampURL", ErrBadOptions, opts.Level)
		}
	default:
		return nil, fmt.Errorf("%w: unknown level %d", ErrBadOptions, int(opts.Level))
	}
	reserve := opts.Reserve
	if reserve <= 0 {
		tsaSize := 0
		if opts.TimestampURL != "" {
			var err error
			tsaSize, err = probeTimestampSize(ctx, opts.TimestampURL, opts.HTTPClient, h)
			if err != nil {
				return nil, fmt.Errorf("pdf: sizing the timestamp: %w", err)
			}
		}
		o := cms.Options{Hash: h, PSS: opts.PSS}
		if opts.Legacy {
			o.SigningTime = time.Now()
		}
		n, err := cms.EstimateSize(cert, chain, o, tsaSize)
		if err != nil {
			return nil, fmt.Errorf("pdf: sizing the signature: %w", err)
		}
		// Headroom for a backend that returns a whole CMS of its own.
		reserve = (n + n/8 + 1024 + 1023) / 1024 * 1024
	}
	pl, err := build(r, size, cert, chain, opts, reserve)
	if err != nil {
		return nil, err
	}
	p := &Prepared{
		base:        pl.base,
		update:      pl.upd.data,
		contentsAt:  pl.upd.contentsAt,
		contentsLen: pl.upd.contentsLen,
		hash:        h,
		pss:         opts.PSS,
		legacy:      opts.Legacy,
		signingTime: pl.signingTime,
		cert:        cert,
		chain:       append([]*x509.Certificate(nil), chain...),
		tsaURL:      opts.TimestampURL,
		level:       opts.Level,
		password:    opts.Password,
		HTTPClient:  opts.HTTPClient,
		LTV:         opts.LTV,
	}
	return p, nil
}

// digestFrom finishes the document digest from h, which has consumed the
// original input, and prepares the CMS signed attributes.
func (p *Prepared) digestFrom(h hash.Hash) error {
	p.docDigest = p.sumUpdate(h)
	return p.prepareCMS()
}

// sumUpdate adds the update's signed parts to h and returns the digest.
func (p *Prepared) sumUpdate(h hash.Hash) []byte {
	h.Write(p.update[:p.contentsAt])
	h.Write(p.update[p.contentsAt+p.contentsLen:])
	return h.Sum(nil)
}

func (p *Prepared) prepareCMS() error {
	o := cms.Options{Hash: p.hash, PSS: p.pss}
	if p.legacy {
		o.SigningTime = p.signingTime
	}
	c, err := cms.Prepare(p.cert, p.chain, p.docDigest, o)
	if err != nil {
		return fmt.Errorf("pdf: preparing CMS: %w", err)
	}
	p.cms = c
	return nil
}

// Digest returns the digest the signer's key must sign (the hash of the CMS
// signed attributes, which bind the document digest).
func (p *Prepared) Digest() []byte { return p.cms.Digest() }

// SignerOpts returns the options to sign Digest with.
func (p *Prepared) SignerOpts() crypto.SignerOpts { return p.cms.SignerOpts() }

// DocumentDigest returns the hash of the signed byte ranges, for a backend
// that builds the whole CMS itself (pass its CMS to Finish).
func (p *Prepared) DocumentDigest() []byte { return append([]byte(nil), p.docDigest...) }

// SigningTime returns the pinned signing time.
func (p *Prepared) SigningTime() time.Time { return p.signingTime }

// Finish completes the signature with sig and writes the signed document to
// w. sig is the raw signature over Digest() (RSA, or ECDSA in DER or r‖s
// form) or a whole CMS SignedData over DocumentDigest(). r must hold the
// same input as in Prepare: it is hashed while it is copied to w, and a
// different input fails with ErrInputChanged before the signature section
// is written (the bytes already written to w must then be discarded;
// FinishFile does that for you).
// At B-LT and B-LTA the input is checked and every update built before
// anything is written to w.
func (p *Prepared) Finish(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, sig []byte) error {
	contents, err := p.contents(ctx, sig)
	if err != nil {
		return err
	}
	if size != p.base {
		return fmt.Errorf("%w: input is %d bytes, prepared for %d", ErrInputChanged, size, p.base)
	}
	if p.level >= LevelBLT {
		// Check the input and build every update before writing anything.
		h := p.hash.New()
		if err := copyRange(h, r, 0, size); err != nil {
			return err
		}
		if !bytes.Equal(p.sumUpdate(h), p.docDigest) {
			return ErrInputChanged
		}
		return p.writeLT(ctx, w, r, size, contents)
	}
	h := p.hash.New()
	if err := copyRange(io.MultiWriter(w, h), r, 0, size); err != nil {
		return err
	}
	if !bytes.Equal(p.sumUpdate(h), p.docDigest) {
		return ErrInputChanged
	}
	return p.writeUpdate(w, contents)
}

// FinishFile is Finish from the file src to the file dst, written
// atomically: dst appears complete or not at all.
func (p *Prepared) FinishFile(ctx context.Context, dst, src string, sig []byte) error {
	contents, err := p.contents(ctx, sig)
	if err != nil {
		return err
	}
	in, size, err := openInput(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if size != p.base {
		return fmt.Errorf("%w: %s is %d bytes, prepared for %d", ErrInputChanged, src, size, p.base)
	}
	return writeAtomic(dst, func(f *os.File) error {
		h := p.hash.New()
		if err := copyRange(io.MultiWriter(f, h), in, 0, size); err != nil {
			return err
		}
		if !bytes.Equal(p.sumUpdate(h), p.docDigest) {
			return ErrInputChanged
		}
		if err := p.appendSigned(ctx, f, size, contents); err != nil {
			return err
		}
		return in.Close() // before the rename, which may replace src
	})
}

// contents builds the final CMS (with its timestamp) and checks it fits.
func (p *Prepared) contents(ctx context.Context, sig []byte) ([]byte, error) {
	if p.cms == nil {
		return nil, fmt.Errorf("%w: not prepared", ErrBadState)
	}
	der, err := p.cms.Finish(sig)
	if err != nil {
		return nil, fmt.Errorf("pdf: assembling CMS: %w", err)
	}
	if p.tsaURL != "" {
		der, err = addTimestamp(ctx, der, p.tsaURL, p.HTTPClient, p.hash)
		if err != nil {
			return nil, fmt.Errorf("pdf: timestamping: %w", err)
		}
	}
	room := (p.contentsLen - 2) / 2
	if len(der) > room {
		return nil, fmt.Errorf("%w: CMS is %d bytes, %d reserved", ErrPlaceholderTooSmall, len(der), room)
	}
	return der, nil
}

// ltvTail returns sigUpdate followed by the B-LT / B-LTA updates for the
// document r (size bytes) signed by sigUpdate.
func (p *Prepared) ltvTail(ctx context.Context, r io.ReaderAt, size int64, sigUpdate []byte) ([]byte, error) {
	if p.level < LevelBLT {
		return sigUpdate, nil
	}
	lo := LTVOptions{HTTPClient: p.HTTPClient}
	if p.LTV != nil {
		lo = *p.LTV
		if lo.HTTPClient == nil {
			lo.HTTPClient = p.HTTPClient
		}
	}
	if lo.Password == "" {
		lo.Password = p.password
	}
	dts := &DocTimestampOptions{TimestampURL: p.tsaURL, HTTPClient: p.HTTPClient, Hash: p.hash, Password: lo.Password}
	tail, err := augmentTail(ctx, r, size, sigUpdate, p.level, &lo, dts)
	if err != nil {
		return nil, fmt.Errorf("%w (while raising the signature to %v)", err, p.level)
	}
	return tail, nil
}

// appendSigned appends to f, which holds the input (size bytes), the
// signature update with contents in its hole, then the B-LT / B-LTA
// updates.
func (p *Prepared) appendSigned(ctx context.Context, f *os.File, size int64, contents []byte) error {
	if err := p.writeUpdate(f, contents); err != nil {
		return err
	}
	if p.level < LevelBLT {
		return nil
	}
	tail, err := p.ltvTail(ctx, f, size+int64(len(p.update)), nil)
	if err != nil {
		return err
	}
	return writeAll(f, tail)
}

// writeUpdate writes the appended section with contents in the hole.
func (p *Prepared) writeUpdate(w io.Writer, contents []byte) error {
	hole := make([]byte, p.contentsLen)
	for i := range hole {
		hole[i] = '0'
	}
	hole[0], hole[len(hole)-1] = '<', '>'
	hex.Encode(hole[1:], contents)
	// Upper-case hex, as most producers write it.
	copy(hole[1:], bytes.ToUpper(hole[1:1+2*len(contents)]))
	if _, err := w.Write(p.update[:p.contentsAt]); err != nil {
		return fmt.Errorf("pdf: writing output: %w", err)
	}
	if _, err := w.Write(hole); err != nil {
		return fmt.Errorf("pdf: writing output: %w", err)
	}
	if _, err := w.Write(p.update[p.contentsAt+p.contentsLen:]); err != nil {
		return fmt.Errorf("pdf: writing output: %w", err)
	}
	return nil
}

// Sign signs the document in r (size bytes) with s and writes the signed
// document to w: the original bytes unchanged, followed by one incremental
// update. The input is read twice (hash, then copy); memory does not grow
// with its size. Nothing is written to w unless signing succeeded.
func Sign(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, opts *Options) error {
	if s == nil {
		return fmt.Errorf("pdf: sign: %w", signer.ErrNoKey)
	}
	if opts == nil {
		opts = &Options{}
	}
	opts = preferPSS(s, opts)
	p, err := layout(ctx, r, size, s.Certificate(), s.Chain(), opts)
	if err != nil {
		return err
	}
	h := p.hash.New()
	if err := copyRange(h, r, 0, size); err != nil {
		return err
	}
	contents, err := p.signContents(ctx, s, h)
	if err != nil {
		return err
	}
	if p.level >= LevelBLT {
		return p.writeLT(ctx, w, r, size, contents)
	}
	if err := copyRange(w, r, 0, size); err != nil {
		return err
	}
	return p.writeUpdate(w, contents)
}

// SignFile signs the PDF file src with s and writes the result to dst
// atomically (a temporary file in dst's directory, renamed on success), so
// a failure leaves no partial output. The input is read once: it is hashed
// while it is copied. dst may equal src.
func SignFile(ctx context.Context, dst, src string, s signer.Signer, opts *Options) error {
	if s == nil {
		return fmt.Errorf("pdf: sign: %w", signer.ErrNoKey)
	}
	if opts == nil {
		opts = &Options{}
	}
	in, size, err := openInput(src)
	if err != nil {
		return err
	}
	defer in.Close()
	opts = preferPSS(s, opts)
	p, err := layout(ctx, in, size, s.Certificate(), s.Chain(), opts)
	if err != nil {
		return err
	}
	return writeAtomic(dst, func(f *os.File) error {
		h := p.hash.New()
		if err := copyRange(io.MultiWriter(f, h), in, 0, size); err != nil {
			return err
		}
		contents, err := p.signContents(ctx, s, h)
		if err != nil {
			return err
		}
		if err := p.appendSigned(ctx, f, size, contents); err != nil {
			return err
		}
		return in.Close() // before the rename, which may replace src
	})
}

func openInput(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("pdf: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("pdf: %w", err)
	}
	return f, fi.Size(), nil
}

// writeAtomic calls fn with a temporary file next to dst and renames it to
// dst when fn succeeds; otherwise the temporary file is removed.
func writeAtomic(dst string, fn func(f *os.File) error) (err error) {
	dir := filepath.Dir(dst)
	f, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return fmt.Errorf("pdf: creating output: %w", err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		// Also on a panic in fn (a crashing signer): no temporary file
		// is left behind.
		if err != nil || !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	err = fn(f)
	done = true
	if err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("pdf: writing output: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("pdf: writing output: %w", err)
	}
	mode := os.FileMode(0o644)
	if fi, statErr := os.Stat(dst); statErr == nil {
		mode = fi.Mode().Perm() // signing in place keeps the permissions
	}
	if err = os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("pdf: writing output: %w", err)
	}
	if err = os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("pdf: writing output: %w", err)
	}
	return nil
}

// copyRange copies n bytes of r starting at off to w in chunks.
func copyRange(w io.Writer, r io.ReaderAt, off, n int64) error {
	buf := make([]byte, min(chunkSize, max(n, 1)))
	for n > 0 {
		k := int64(len(buf))
		if k > n {
			k = n
		}
		m, err := r.ReadAt(buf[:k], off)
		if int64(m) < k {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("pdf: reading input at %d: %w", off, err)
		}
		if _, err := w.Write(buf[:m]); err != nil {
			return fmt.Errorf("pdf: writing output: %w", err)
		}
		off += int64(m)
		n -= int64(m)
	}
	return nil
}

// The serialised state of a Prepared value.
type preparedState struct {
	Version     int       `json:"v"`
	Base        int64     `json:"base"`
	Update      []byte    `json:"update"`
	ContentsAt  int       `json:"contentsAt"`
	ContentsLen int       `json:"contentsLen"`
	Hash        uint      `json:"hash"`
	PSS         bool      `json:"pss,omitempty"`
	Legacy      bool      `json:"legacy,omitempty"`
	SigningTime time.Time `json:"signingTime"`
	Cert        []byte    `json:"cert"`
	Chain       [][]byte  `json:"chain,omitempty"`
	DocDigest   []byte    `json:"docDigest"`
	TSAURL      string    `json:"tsa,omitempty"`
	Level       int       `json:"level,omitempty"`
}

// MarshalBinary serialises the prepared state (JSON). It holds the appended
// update (placeholder included), the certificates and the document digest,
// but no secret.
func (p *Prepared) MarshalBinary() ([]byte, error) {
	if p.cms == nil {
		return nil, fmt.Errorf("%w: not prepared", ErrBadState)
	}
	st := preparedState{
		Version: 1, Base: p.base, Update: p.update, ContentsAt: p.contentsAt, ContentsLen: p.contentsLen,
		Hash: uint(p.hash), PSS: p.pss, Legacy: p.legacy, SigningTime: p.signingTime,
		Cert: p.cert.Raw, DocDigest: p.docDigest, TSAURL: p.tsaURL, Level: int(p.level),
	}
	for _, c := range p.chain {
		st.Chain = append(st.Chain, c.Raw)
	}
	return json.Marshal(st)
}

// UnmarshalBinary restores a state written by MarshalBinary.
func (p *Prepared) UnmarshalBinary(data []byte) error {
	var st preparedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%w: %v", ErrBadState, err)
	}
	if st.Version != 1 {
		return fmt.Errorf("%w: version %d", ErrBadState, st.Version)
	}
	h := crypto.Hash(st.Hash)
	if h != crypto.SHA256 && h != crypto.SHA384 && h != crypto.SHA512 {
		return fmt.Errorf("%w: hash %d", ErrBadState, st.Hash)
	}
	if st.ContentsAt < 0 || st.ContentsLen < 4 || st.ContentsAt > len(st.Update) || st.ContentsLen > len(st.Update)-st.ContentsAt ||
		st.Update[st.ContentsAt] != '<' || st.Update[st.ContentsAt+st.ContentsLen-1] != '>' || st.Base <= 0 ||
		len(st.DocDigest) != h.Size() {
		return fmt.Errorf("%w: inconsistent placeholder", ErrBadState)
	}
	cert, err := certparse.Parse(st.Cert)
	if err != nil {
		return fmt.Errorf("%w: certificate: %v", ErrBadState, err)
	}
	var chain []*x509.Certificate
	for _, c := range st.Chain {
		cc, err := certparse.Parse(c)
		if err != nil {
			return fmt.Errorf("%w: chain certificate: %v", ErrBadState, err)
		}
		chain = append(chain, cc)
	}
	np := Prepared{
		base: st.Base, update: st.Update, contentsAt: st.ContentsAt, contentsLen: st.ContentsLen,
		hash: h, pss: st.PSS, legacy: st.Legacy, signingTime: st.SigningTime, cert: cert, chain: chain,
		docDigest: st.DocDigest, tsaURL: st.TSAURL, level: Level(st.Level), HTTPClient: p.HTTPClient, LTV: p.LTV,
	}
	if err := np.checkLayout(); err != nil {
		return err
	}
	if np.level < LevelBB || np.level > LevelBLTA || np.level >= LevelBT && np.tsaURL == "" {
		return fmt.Errorf("%w: level %d", ErrBadState, st.Level)
	}
	if err := np.prepareCMS(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadState, err)
	}
	*p = np
	return nil
}

// checkLayout checks that the update's placeholder is consistent: the hole
// is an empty (all-zero) hex string and the update's one /ByteRange names
// exactly the bytes around it, so Finish cannot write a signature over
// other bytes than the document says are signed.
func (p *Prepared) checkLayout() error {
	hole := p.update[p.contentsAt+1 : p.contentsAt+p.contentsLen-1]
	if len(hole)%2 != 0 || len(bytes.Trim(hole, "0")) > 0 {
		return fmt.Errorf("%w: the /Contents placeholder is not empty", ErrBadState)
	}
	key := []byte("/ByteRange ")
	i := bytes.Index(p.update, key)
	if i < 0 || bytes.Contains(p.update[i+len(key):], key) || i+len(key)+byteRangeWidth > len(p.update) {
		return fmt.Errorf("%w: no single /ByteRange in the update", ErrBadState)
	}
	a := p.base + int64(p.contentsAt)
	b := a + int64(p.contentsLen)
	want := fmt.Sprintf("[0 %d %d %d]", a, b, p.base+int64(len(p.update))-b)
	got := p.update[i+len(key) : i+len(key)+byteRangeWidth]
	if len(want) > byteRangeWidth || string(bytes.TrimRight(got, " ")) != want {
		return fmt.Errorf("%w: /ByteRange %s does not match the placeholder %s", ErrBadState, bytes.TrimRight(got, " "), want)
	}
	return nil
}

// preferPSS returns opts with PSS set when s asks for RSA-PSS
// (signer.WithPSS, signer.PSS) and the caller has not chosen.
func preferPSS(s signer.Signer, opts *Options) *Options {
	if opts == nil || opts.PSS || !signer.PrefersPSS(s) {
		return opts
	}
	o := *opts
	o.PSS = true
	return &o
}

// writeLT writes the input (size bytes of r), then the signature's
// incremental update holding contents followed by the B-LT validation data
// update.
func (p *Prepared) writeLT(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, contents []byte) error {
	var upd bytes.Buffer
	if err := p.writeUpdate(&upd, contents); err != nil {
		return err
	}
	tail, err := p.ltvTail(ctx, r, size, upd.Bytes())
	if err != nil {
		return err
	}
	if err := copyRange(w, r, 0, size); err != nil {
		return err
	}
	return writeAll(w, tail)
}

// signContents takes the document digest from h (the hash of the prepared
// input), has s sign it and returns the /Contents value.
func (p *Prepared) signContents(ctx context.Context, s signer.Signer, h hash.Hash) ([]byte, error) {
	if err := p.digestFrom(h); err != nil {
		return nil, err
	}
	sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
	if err != nil {
		return nil, fmt.Errorf("pdf: sign: %w", err)
	}
	return p.contents(ctx, sig)
}
