package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/baseline"
	"github.com/kyso-vn/kyso/internal/ber"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/revinfo"
)

// Level is a PAdES baseline level (ETSI EN 319 142-1).
type Level int

const (
	// LevelBB is PAdES B-B: the signature alone. It is the zero value; with
	// Options.TimestampURL set it becomes B-T (Options.Level need not be set).
	LevelBB Level = iota
	// LevelBT is B-T: a signature time-stamp from Options.TimestampURL.
	LevelBT
	// LevelBLT is B-LT: B-T, then a DSS (Document Security Store) in its own
	// incremental update with the certificates and revocation data (OCSP
	// preferred, else CRLs) of the signer's chain and the time-stamp
	// authority's chain.
	LevelBLT
	// LevelBLTA is B-LTA: B-LT, then a document time-stamp (ETSI.RFC3161)
	// over the whole file in a further update.
	LevelBLTA
)

var levelNames = []string{"B-B", "B-T", "B-LT", "B-LTA"}

// String returns the ETSI name of the level: "B-B", "B-T", "B-LT" or "B-LTA".
func (l Level) String() string { return baseline.Name(int(l), levelNames) }

// ParseLevel reads "B-B", "B-T", "B-LT" or "B-LTA" (case-insensitive, the
// "B-" optional).
func ParseLevel(s string) (Level, error) {
	if i := baseline.Parse(s, levelNames); i >= 0 {
		return Level(i), nil
	}
	return 0, fmt.Errorf("%w: unknown PAdES level %q (B-B, B-T, B-LT or B-LTA)", ErrBadOptions, s)
}

// LTVOptions control how validation data is collected and written for
// B-LT (by [AddDSS], [Augment] and signing with Options.Level).
type LTVOptions struct {
	// Password opens an encrypted document (user or owner password).
	Password string

	// HTTPClient fetches OCSP responses, CRLs and missing issuer
	// certificates (http.DefaultClient when nil); Timeout bounds each
	// request (10 s when zero).
	HTTPClient *http.Client
	Timeout    time.Duration
	// Offline forbids network access: the evidence must come from the
	// fields below (and the certificates the signatures carry).
	Offline bool

	// Certificates, OCSPResponses (DER OCSPResponse) and CRLs (DER) are
	// evidence supplied by the caller. Each is embedded; an answer that
	// checks out for a certificate saves fetching one.
	Certificates  []*x509.Certificate
	OCSPResponses [][]byte
	CRLs          [][]byte

	// VRI also writes a per-signature VRI dictionary (keyed by the
	// upper-case hex SHA-1 of each signature's /Contents) listing the data
	// that signature needs. Off by default, as in EU DSS: validators use
	// the DSS-wide arrays.
	VRI bool

	// Time is the time fetched and supplied answers must be current at;
	// zero means now.
	Time time.Time
}

// DocTimestampOptions control a document time-stamp ([AddDocumentTimestamp],
// B-LTA).
type DocTimestampOptions struct {
	// TimestampURL is the RFC 3161 TSA (required). HTTPClient is used for
	// the requests (http.DefaultClient's settings when nil).
	TimestampURL string
	HTTPClient   *http.Client
	// Hash is the message-imprint hash: SHA-256 (default), SHA-384 or
	// SHA-512.
	Hash crypto.Hash
	// Field names the new (invisible) field; empty means "DocTimestampN".
	Field string
	// Password opens an encrypted document.
	Password string
	// Reserve is the room for the token in bytes; zero means the size of a
	// probe token from the TSA with headroom.
	Reserve int
}

var (
	// ErrNoSignatures: validation data was asked for a document without
	// signatures or document time-stamps.
	ErrNoSignatures = errors.New("pdf: the document has no signatures")
	// ErrValidationData: a certificate chain or a revocation answer needed
	// for B-LT could not be found, fetched or checked (the error says
	// which certificate and why).
	ErrValidationData = errors.New("pdf: validation data unavailable")
)

// AddDSS adds validation data for every signature and document time-stamp
// of the PDF in r (size bytes) and writes the result to w: the original
// bytes unchanged, then one incremental update holding the new or updated
// DSS dictionary (Certs, OCSPs, CRLs, and VRI when asked). Data already in
// the DSS is kept and not repeated. When every needed item is already
// there, nothing is appended and w receives the input as it was.
//
// For each signature the chain of the signer's certificate and of each
// signature time-stamp's TSA certificate is built from the certificates in
// the CMS, opts.Certificates and AIA caIssuers URLs, and every certificate
// below the root gets an OCSP response or, failing that, a CRL — supplied,
// or fetched online unless opts.Offline. Answers are checked (for this
// certificate, signed by its CA or an authorised responder, current)
// before they are embedded. Nothing is written to w unless the update
// could be built.
func AddDSS(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, opts *LTVOptions) error {
	upd, err := dssUpdate(ctx, r, size, opts)
	if err != nil {
		return err
	}
	return writeAppended(w, r, size, upd)
}

// AddDocumentTimestamp adds a document time-stamp (/Type /DocTimeStamp,
// /SubFilter /ETSI.RFC3161) over the whole PDF in r in a new incremental
// update, and writes the result to w. The token's message imprint is the
// hash of the signed byte ranges, exactly like a signature's.
func AddDocumentTimestamp(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, opts *DocTimestampOptions) error {
	upd, err := docTimestampUpdate(ctx, r, size, opts)
	if err != nil {
		return err
	}
	return writeAppended(w, r, size, upd)
}

// Augment raises an already signed PDF — signed by kyso or by any other
// tool, B-B or B-T, or already archived — to level LevelBLT (a DSS update)
// or LevelBLTA (a DSS update, then a document time-stamp from dts). On an
// archived (B-LTA) file, Augment with LevelBLTA is the renewal: fresh
// validation data, including for the previous document time-stamps, and a
// new document time-stamp over everything. Earlier revisions are never
// touched: the input is an exact prefix of the output.
func Augment(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, level Level, ltv *LTVOptions, dts *DocTimestampOptions) error {
	tail, err := augmentTail(ctx, r, size, nil, level, ltv, dts)
	if err != nil {
		return err
	}
	return writeAppended(w, r, size, tail)
}

// AugmentFile is Augment from the file src to the file dst, written
// atomically (dst may equal src).
func AugmentFile(ctx context.Context, dst, src string, level Level, ltv *LTVOptions, dts *DocTimestampOptions) error {
	in, size, err := openInput(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tail, err := augmentTail(ctx, in, size, nil, level, ltv, dts)
	if err != nil {
		return err
	}
	return writeAtomic(dst, func(f *os.File) error {
		if err := writeAppended(f, in, size, tail); err != nil {
			return err
		}
		return in.Close()
	})
}

// writeAppended writes the first size bytes of r unchanged, then tail (the
// incremental updates built for them), to w.
func writeAppended(w io.Writer, r io.ReaderAt, size int64, tail []byte) error {
	if err := copyRange(w, r, 0, size); err != nil {
		return err
	}
	return writeAll(w, tail)
}

// augmentTail returns what follows r (size bytes) and its already built
// tail pre: pre, a DSS update and, for LevelBLTA, a document time-stamp.
func augmentTail(ctx context.Context, r io.ReaderAt, size int64, pre []byte, level Level, ltv *LTVOptions, dts *DocTimestampOptions) ([]byte, error) {
	if level != LevelBLT && level != LevelBLTA {
		return nil, fmt.Errorf("%w: augmenting needs level B-LT or B-LTA, not %v", ErrBadOptions, level)
	}
	if level == LevelBLTA && (dts == nil || dts.TimestampURL == "") {
		return nil, fmt.Errorf("%w: B-LTA needs a TSA for the document time-stamp", ErrBadOptions)
	}
	tail := append([]byte(nil), pre...)
	cur := &tailReader{r: r, size: size, tail: tail}
	var tsa []*x509.Certificate
	if level == LevelBLTA {
		// Ask the TSA once now: the probe token sizes the placeholder and
		// names the TSA certificate, whose validation data then goes into
		// this DSS, so the new document time-stamp can be validated from
		// the file alone (not only after the next renewal).
		probe := *dts
		tok, err := probeTSA(ctx, &probe)
		if err != nil {
			return nil, err
		}
		if probe.Reserve <= 0 {
			probe.Reserve = reserveFor(len(tok.DER))
		}
		dts = &probe
		if tok.TSACertificate != nil {
			tsa = append([]*x509.Certificate{tok.TSACertificate}, tok.Certificates...)
		}
	}
	dss, err := dssUpdate(ctx, cur, cur.Size(), ltv, tsa...)
	if err != nil {
		return nil, err
	}
	tail = append(tail, dss...)
	if level == LevelBLTA {
		cur = &tailReader{r: r, size: size, tail: tail}
		ts, err := docTimestampUpdate(ctx, cur, cur.Size(), dts)
		if err != nil {
			return nil, err
		}
		tail = append(tail, ts...)
	}
	return tail, nil
}

// tailReader reads r's first size bytes followed by tail.
type tailReader struct {
	r    io.ReaderAt
	size int64
	tail []byte
}

func (t *tailReader) Size() int64 { return t.size + int64(len(t.tail)) }

func (t *tailReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("pdf: negative offset")
	}
	n := 0
	if off < t.size {
		k := int64(len(p))
		if off+k > t.size {
			k = t.size - off
		}
		m, err := t.r.ReadAt(p[:k], off)
		n += m
		if int64(m) < k {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		off += int64(m)
	}
	if n < len(p) {
		i := off - t.size
		if i >= int64(len(t.tail)) {
			return n, io.EOF
		}
		m := copy(p[n:], t.tail[i:])
		n += m
		if n < len(p) {
			return n, io.EOF
		}
	}
	return n, nil
}

func writeAll(w io.Writer, b []byte) error {
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("pdf: writing output: %w", err)
	}
	return nil
}

// sigEntry is one signature or document time-stamp of a document.
type sigEntry struct {
	field    string
	contents []byte // the /Contents string as written (padding included)
	der      []byte // the CMS without padding
	docTS    bool
}

// signatures lists the signed signature fields.
func (d *document) signatures() ([]sigEntry, error) {
	fs, err := d.fields()
	if err != nil {
		return nil, err
	}
	var out []sigEntry
	for _, f := range fs {
		if f.ft != "Sig" {
			continue
		}
		sd := d.dictOf(f.dict["V"])
		if sd == nil {
			continue
		}
		c, ok := d.resolve(sd["Contents"]).(pdfString)
		if !ok || len(c) == 0 {
			continue
		}
		e := sigEntry{field: f.fullName, contents: c, der: trimPadding(c)}
		e.docTS = sd.name("Type") == "DocTimeStamp" || sd.name("SubFilter") == "ETSI.RFC3161"
		out = append(out, e)
	}
	return out, nil
}

// trimPadding cuts the zero padding after a DER (or indefinite-length BER)
// CMS in a /Contents string; b is returned whole when it does not start
// with a well-formed SEQUENCE.
func trimPadding(b []byte) []byte {
	if len(b) < 2 || b[0] != 0x30 {
		return b
	}
	if n, err := ber.Len(b); err == nil {
		return b[:n]
	}
	return b
}

// sigEvidence returns the certificates whose chains a signature needs
// (signer, TSAs) and the candidate issuers it carries.
func sigEvidence(e sigEntry) (targets, candidates []*x509.Certificate, err error) {
	sd, err := cms.Parse(e.der)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: signature %q: %w", ErrMalformed, e.field, err)
	}
	if len(sd.SignerInfos) == 0 {
		return nil, nil, fmt.Errorf("%w: signature %q has no SignerInfo", ErrMalformed, e.field)
	}
	candidates = append(candidates, sd.Certificates...)
	for _, si := range sd.SignerInfos {
		c, err := sd.SignerCertificate(si)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: signature %q: %w", ErrMalformed, e.field, err)
		}
		targets = append(targets, c)
		for _, t := range si.Timestamps {
			if t.TSACertificate != nil {
				targets = append(targets, t.TSACertificate)
			}
			candidates = append(candidates, t.Certificates...)
		}
	}
	return targets, candidates, nil
}

// tsaClient returns the client for opts' TSA and the message-imprint hash.
func (opts *DocTimestampOptions) tsaClient() (*cms.TSAClient, crypto.Hash, error) {
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if h != crypto.SHA256 && h != crypto.SHA384 && h != crypto.SHA512 {
		return nil, 0, fmt.Errorf("%w: hash %v (use SHA-256, SHA-384 or SHA-512)", ErrBadOptions, h)
	}
	return &cms.TSAClient{URL: opts.TimestampURL, HTTPClient: opts.HTTPClient, Hash: h}, h, nil
}

// probeTSA asks the TSA of opts for a token over a dummy digest.
func probeTSA(ctx context.Context, opts *DocTimestampOptions) (*cms.Token, error) {
	client, h, err := opts.tsaClient()
	if err != nil {
		return nil, err
	}
	tok, err := client.Timestamp(ctx, make([]byte, h.Size()), h)
	if err != nil {
		return nil, fmt.Errorf("pdf: asking the TSA for the document time-stamp: %w: %w", ErrTimestamp, err)
	}
	return tok, nil
}

// reserveFor is the placeholder size for a token of n bytes: tokens of one
// TSA vary by a few bytes.
func reserveFor(n int) int { return (n + n/8 + 1024 + 1023) / 1024 * 1024 }

// dssUpdate builds the incremental update that adds validation data for
// every signature of the document, and for the certificate tsa[0] (with
// tsa[1:] as candidate issuers) when given. It returns nil when nothing is
// new.
func dssUpdate(ctx context.Context, r io.ReaderAt, size int64, opts *LTVOptions, tsa ...*x509.Certificate) ([]byte, error) {
	if opts == nil {
		opts = &LTVOptions{}
	}
	d, err := open(r, size, []byte(opts.Password))
	if err != nil {
		return nil, err
	}
	sigs, err := d.signatures()
	if err != nil {
		return nil, err
	}
	if len(sigs) == 0 {
		return nil, ErrNoSignatures
	}
	f := &revinfo.Fetcher{HTTPClient: opts.HTTPClient, Timeout: opts.Timeout, Offline: opts.Offline}
	if !opts.Time.IsZero() {
		t := opts.Time
		f.Now = func() time.Time { return t }
	}
	supplied := &revinfo.Set{}
	supplied.AddSupplied(opts.Certificates, opts.OCSPResponses, opts.CRLs)
	all := &revinfo.Set{}
	all.Merge(supplied)
	perSig := make([]*revinfo.Set, len(sigs))
	// Every chain (signers, their TSAs, the document time-stamp's TSA) is
	// built from all certificates at hand: an independent TSA's tokens
	// often omit the root that a signer's chain carries.
	// Each signature's CMS is parsed once; one that does not parse fails
	// in its turn below.
	type evidence struct {
		targets, cands []*x509.Certificate
		err            error
	}
	ev := make([]evidence, len(sigs))
	var atHand []*x509.Certificate
	for i, e := range sigs {
		v := &ev[i]
		if v.targets, v.cands, v.err = sigEvidence(e); v.err == nil {
			atHand = append(append(atHand, v.targets...), v.cands...)
		}
	}
	atHand = append(atHand, opts.Certificates...)
	for i, e := range sigs {
		if ev[i].err != nil {
			return nil, ev[i].err
		}
		set, err := f.Collect(ctx, ev[i].targets, append(ev[i].cands, atHand...), supplied)
		if err != nil {
			return nil, fmt.Errorf("%w: signature %q: %w", ErrValidationData, e.field, err)
		}
		perSig[i] = set
		all.Merge(set)
	}
	if len(tsa) > 0 {
		set, err := f.Collect(ctx, tsa[:1], append(append([]*x509.Certificate(nil), tsa[1:]...), atHand...), all)
		if err != nil {
			return nil, fmt.Errorf("%w: TSA %q: %w", ErrValidationData, tsa[0].Subject.CommonName, err)
		}
		all.Merge(set)
	}

	u := newUpdate(d)
	rootRef, cat, err := d.catalog()
	if err != nil {
		return nil, err
	}
	cat = cat.clone()
	var dss dict
	dssRef, dssIndirect := cat["DSS"].(ref)
	if dssIndirect {
		dss = d.dictOf(dssRef)
	} else if v, ok := cat["DSS"].(dict); ok {
		dss = v
	}
	if dss == nil {
		dss = dict{"Type": name("DSS")}
	}
	dss = dss.clone()

	// Items already in the DSS, by content hash.
	have := map[[32]byte]ref{}
	for _, key := range []name{"Certs", "OCSPs", "CRLs"} {
		arr, _ := d.resolve(dss[key]).(array)
		for _, it := range arr {
			ir, ok := it.(ref)
			if !ok {
				continue
			}
			st, ok := d.resolve(ir).(*stream)
			if !ok {
				continue
			}
			if err := d.overBudget(); err != nil {
				return nil, fmt.Errorf("pdf: reading the DSS: %w", err)
			}
			data, err := d.streamData(st, ir, true)
			if err != nil {
				continue // unreadable: a fresh copy is added
			}
			d.parsed += int64(len(data)) // (decompression bombs)
			have[sha256.Sum256(data)] = ir
		}
	}
	added := 0
	refOf := func(der []byte) (ref, bool) {
		k := sha256.Sum256(der)
		if r, ok := have[k]; ok {
			return r, false
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(der)
		zw.Close()
		r := u.add(&stream{hdr: dict{"Filter": name("FlateDecode")}, data: z.Bytes()})
		have[k] = r
		added++
		return r, true
	}
	for _, part := range []struct {
		key  name
		list [][]byte
	}{{"Certs", all.Certs}, {"OCSPs", all.OCSPs}, {"CRLs", all.CRLs}} {
		arr, _ := d.resolve(dss[part.key]).(array)
		n := len(arr)
		arr = append(array{}, arr...)
		for _, der := range part.list {
			if r, isNew := refOf(der); isNew {
				arr = append(arr, r)
			}
		}
		if ar, indirect := dss[part.key].(ref); indirect && d.resolve(ar) != nil {
			// An indirect array is updated where it lives.
			if len(arr) > n {
				u.set(ar, arr)
			}
		} else if len(arr) > 0 {
			dss[part.key] = arr
		}
	}
	if opts.VRI {
		vriRef, vriIndirect := dss["VRI"].(ref)
		vri := d.dictOf(dss["VRI"])
		if vri == nil {
			vri, vriIndirect = dict{}, false
		}
		vri = vri.clone()
		for i, e := range sigs {
			sum := sha1.Sum(e.contents)
			key := name(strings.ToUpper(hex.EncodeToString(sum[:])))
			if _, ok := vri[key]; ok {
				continue
			}
			entry := dict{}
			for _, part := range []struct {
				key  name
				list [][]byte
			}{{"Cert", perSig[i].Certs}, {"OCSP", perSig[i].OCSPs}, {"CRL", perSig[i].CRLs}} {
				var arr array
				for _, der := range part.list {
					r, _ := refOf(der)
					arr = append(arr, r)
				}
				if len(arr) > 0 {
					entry[part.key] = arr
				}
			}
			vri[key] = entry
			added++
		}
		if vriIndirect {
			u.setIfChanged(vriRef, vri)
		} else {
			dss["VRI"] = vri
		}
	}
	if added == 0 {
		return nil, nil
	}
	if dssIndirect {
		u.setIfChanged(dssRef, dss)
	} else {
		cat["DSS"] = u.add(dss)
		u.set(rootRef, cat)
	}
	s, err := u.serialize(size, !endsWithEOL(r, size))
	if err != nil {
		return nil, err
	}
	return s.data, nil
}

func endsWithEOL(r io.ReaderAt, size int64) bool {
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, size-1); err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	return last[0] == '\n' || last[0] == '\r'
}

// docTimestampUpdate builds the incremental update of a document
// time-stamp over r.
func docTimestampUpdate(ctx context.Context, r io.ReaderAt, size int64, opts *DocTimestampOptions) ([]byte, error) {
	if opts == nil || opts.TimestampURL == "" {
		return nil, fmt.Errorf("%w: a document time-stamp needs a TSA URL", ErrBadOptions)
	}
	client, h, err := opts.tsaClient()
	if err != nil {
		return nil, err
	}
	reserve := opts.Reserve
	if reserve <= 0 {
		n, err := client.TokenSize(ctx)
		if err != nil {
			return nil, fmt.Errorf("pdf: sizing the document time-stamp: %w: %w", ErrTimestamp, err)
		}
		reserve = reserveFor(n)
	}
	pl, err := build(r, size, nil, nil, &Options{Field: opts.Field, Password: opts.Password, Hash: h, docTimestamp: true}, reserve)
	if err != nil {
		return nil, err
	}
	p := &Prepared{base: pl.base, update: pl.upd.data, contentsAt: pl.upd.contentsAt, contentsLen: pl.upd.contentsLen, hash: h}
	hh := h.New()
	if err := copyRange(hh, r, 0, size); err != nil {
		return nil, err
	}
	digest := p.sumUpdate(hh)
	tok, err := client.Timestamp(ctx, digest, h)
	if err != nil {
		return nil, fmt.Errorf("pdf: document time-stamp: %w: %w", ErrTimestamp, err)
	}
	if room := (p.contentsLen - 2) / 2; len(tok.DER) > room {
		return nil, fmt.Errorf("%w: time-stamp token is %d bytes, %d reserved", ErrPlaceholderTooSmall, len(tok.DER), room)
	}
	var out bytes.Buffer
	if err := p.writeUpdate(&out, tok.DER); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
