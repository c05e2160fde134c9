package wire

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"

	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/kyso-vn/kyso/internal/certparse"
)

// XML-DSig algorithm identifiers used for AP request signatures.
const (
	AlgExcC14N     = "http://www.w3.org/2001/10/xml-exc-c14n#"
	AlgSHA256      = "http://www.w3.org/2001/04/xmlenc#sha256"
	AlgRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	AlgECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	roleUltimate   = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
)

// ErrMessageSignature marks a missing or invalid AP request signature.
var ErrMessageSignature = errors.New("AP request signature invalid")

// DigestSigner signs a SHA-256 digest; ECDSA signatures are ASN.1 DER.
type DigestSigner interface {
	Certificate() *x509.Certificate
	SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

// canonical returns the exclusive canonical form of el as it sits in its
// document, without changing the document.
func canonical(el *etree.Element) ([]byte, error) {
	nsctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	det, err := etreeutils.NSDetatch(nsctx, el)
	if err != nil {
		return nil, err
	}
	// An rpc/literal message element undeclares the wrapper's default
	// namespace (xmlns=""). Exclusive C14N renders xmlns="" only below an
	// output ancestor with a default namespace, never on the apex of the
	// node-set (C14N 1.0 §4.7 via Exc-C14N §3): drop it, as xmlsec1 does.
	if det.NamespaceURI() == "" {
		det.RemoveAttr("xmlns")
	}
	if err := etreeutils.TransformExcC14n(det, "", false); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(det)
	doc.WriteSettings = etree.WriteSettings{CanonicalAttrVal: true, CanonicalEndTags: true, CanonicalText: true}
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SignMessage adds an mss:MSS_MessageSignature SOAP header to doc (built by
// NewDocument): an XML-DSig signature by s over the message element, which
// gets the ID attribute id. Canonicalisation is exclusive C14N, the digest
// SHA-256, the signature RSA-SHA256 or ECDSA-SHA256.
func SignMessage(ctx context.Context, doc *etree.Document, id string, s DigestSigner) error {
	el := MessageElement(doc)
	if el == nil {
		return fmt.Errorf("wire: no message element to sign")
	}
	cert := s.Certificate()
	if cert == nil {
		return fmt.Errorf("wire: AP signer has no certificate")
	}
	var sigAlg string
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey:
		sigAlg = AlgRSASHA256
	case *ecdsa.PublicKey:
		sigAlg = AlgECDSASHA256
	default:
		return fmt.Errorf("wire: AP key type %T cannot sign requests", cert.PublicKey)
	}
	el.RemoveAttr("ID")
	el.CreateAttr("ID", id)
	c14n, err := canonical(el)
	if err != nil {
		return fmt.Errorf("wire: canonicalising request: %w", err)
	}
	refDigest := sha256.Sum256(c14n)

	root := doc.Root()
	soap11 := root.NamespaceURI() == NSSOAP11
	hdr := child(root, root.NamespaceURI(), "Header")
	if hdr == nil {
		hdr = etree.NewElement("env:Header")
		root.InsertChildAt(0, hdr)
	}
	ms := hdr.CreateElement("mss:MSS_MessageSignature")
	ms.CreateAttr("xmlns:mss", NSMSS)
	if soap11 {
		// SOAP 1.1: no actor means the ultimate receiver; mustUnderstand
		// is "1" or "0".
		ms.CreateAttr("env:mustUnderstand", "1")
	} else {
		ms.CreateAttr("env:role", roleUltimate)
		ms.CreateAttr("env:mustUnderstand", "true")
	}
	sig := ms.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDS)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", AlgExcC14N)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", sigAlg)
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("URI", "#"+id)
	ref.CreateElement("ds:Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", AlgExcC14N)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgSHA256)
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(refDigest[:]))

	siC14n, err := canonical(si)
	if err != nil {
		return fmt.Errorf("wire: canonicalising SignedInfo: %w", err)
	}
	d := sha256.Sum256(siC14n)
	raw, err := s.SignDigest(ctx, d[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("wire: signing request: %w", err)
	}
	if k, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		if raw, err = ecdsaDERToRaw(raw, (k.Curve.Params().BitSize+7)/8); err != nil {
			return fmt.Errorf("wire: signing request: %w", err)
		}
	}
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(raw))
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	return nil
}

// VerifyMessage checks the mss:MSS_MessageSignature header of env: the
// signature must reference the message element itself and verify under the
// certificate in its KeyInfo, which it returns. Deciding whether that
// certificate belongs to the AP is the caller's job.
func VerifyMessage(env *Envelope) (*x509.Certificate, error) {
	fail := func(format string, args ...any) (*x509.Certificate, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrMessageSignature}, args...)...)
	}
	if env.Header == nil || env.Element == nil {
		return fail("no SOAP header")
	}
	ms := child(env.Header, NSMSS, "MSS_MessageSignature")
	if ms == nil {
		return fail("no MSS_MessageSignature header")
	}
	sig := child(ms, NSDS, "Signature")
	if sig == nil {
		return fail("no ds:Signature")
	}
	si := child(sig, NSDS, "SignedInfo")
	sv := child(sig, NSDS, "SignatureValue")
	if si == nil || sv == nil {
		return fail("incomplete ds:Signature")
	}
	if cm := child(si, NSDS, "CanonicalizationMethod"); cm == nil || attr(cm, "Algorithm") != AlgExcC14N {
		return fail("unsupported canonicalisation")
	}
	sm := child(si, NSDS, "SignatureMethod")
	if sm == nil {
		return fail("no SignatureMethod")
	}
	refs := children(si, NSDS, "Reference")
	if len(refs) != 1 {
		return fail("%d references, want 1", len(refs))
	}
	ref := refs[0]
	id := attr(env.Element, "ID")
	if id == "" || attr(ref, "URI") != "#"+id {
		return fail("reference does not point at the message element")
	}
	if tr := child(ref, NSDS, "Transforms"); tr != nil {
		for _, t := range children(tr, NSDS, "Transform") {
			if attr(t, "Algorithm") != AlgExcC14N {
				return fail("unsupported transform %q", attr(t, "Algorithm"))
			}
		}
	}
	if dm := child(ref, NSDS, "DigestMethod"); dm == nil || attr(dm, "Algorithm") != AlgSHA256 {
		return fail("unsupported digest method")
	}
	dv := child(ref, NSDS, "DigestValue")
	if dv == nil {
		return fail("no DigestValue")
	}
	want, err := DecodeBase64(dv.Text())
	if err != nil {
		return fail("DigestValue is not base64")
	}
	c14n, err := canonical(env.Element)
	if err != nil {
		return fail("canonicalising message: %v", err)
	}
	got := sha256.Sum256(c14n)
	if !bytes.Equal(got[:], want) {
		return fail("message digest mismatch: the request was altered")
	}
	x := sig.FindElement("./KeyInfo/X509Data/X509Certificate")
	if x == nil {
		return fail("no certificate in KeyInfo")
	}
	der, err := DecodeBase64(x.Text())
	if err != nil {
		return fail("KeyInfo certificate is not base64")
	}
	cert, err := certparse.Parse(der)
	if err != nil {
		return fail("KeyInfo certificate: %v", err)
	}
	raw, err := DecodeBase64(sv.Text())
	if err != nil {
		return fail("SignatureValue is not base64")
	}
	siC14n, err := canonical(si)
	if err != nil {
		return fail("canonicalising SignedInfo: %v", err)
	}
	d := sha256.Sum256(siC14n)
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if attr(sm, "Algorithm") != AlgRSASHA256 {
			return fail("signature method %q for an RSA key", attr(sm, "Algorithm"))
		}
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], raw); err != nil {
			return fail("%v", err)
		}
	case *ecdsa.PublicKey:
		if attr(sm, "Algorithm") != AlgECDSASHA256 || len(raw)%2 != 0 {
			return fail("bad ECDSA signature")
		}
		r := new(big.Int).SetBytes(raw[:len(raw)/2])
		s := new(big.Int).SetBytes(raw[len(raw)/2:])
		if !ecdsa.Verify(k, d[:], r, s) {
			return fail("ECDSA verification failed")
		}
	default:
		return fail("key type %T", cert.PublicKey)
	}
	return cert, nil
}

func ecdsaDERToRaw(der []byte, size int) ([]byte, error) {
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil ||
		v.R.Sign() < 0 || v.S.Sign() < 0 || v.R.BitLen() > 8*size || v.S.BitLen() > 8*size {
		return nil, fmt.Errorf("ECDSA signature is not DER")
	}
	out := make([]byte, 2*size)
	v.R.FillBytes(out[:size])
	v.S.FillBytes(out[size:])
	return out, nil
}
