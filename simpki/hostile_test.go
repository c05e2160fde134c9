package simpki_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/simpki"
)

// TestHostileSOAPNeverSigns wraps a perfectly good signature in hostile
// or malformed SOAP: entity expansion bombs, external entities, nesting
// deep enough to exhaust a recursive parser, a body far over the size
// cap, the right elements in the wrong namespace. Every one is
// ErrProtocol, returned quickly, and never a signature; the same signature
// in a well-formed answer is accepted (control).
func TestHostileSOAPNeverSigns(t *testing.T) {
	id, digest, sig := signedX(t)
	sigEl := `<mss:MSS_Signature><mss:Base64Signature>` + base64.StdEncoding.EncodeToString(sig) + `</mss:Base64Signature></mss:MSS_Signature>`
	good := sigResp(500, sigEl)
	const dtd = `<?xml version="1.0"?><!DOCTYPE env:Envelope [<!ENTITY a "aaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x SYSTEM "file:///etc/passwd">]>`
	head := strings.TrimPrefix(envelopeHead, `<?xml version="1.0" encoding="UTF-8"?>`)

	cases := map[string]func() io.Reader{
		"entity-bomb": func() io.Reader {
			return strings.NewReader(dtd + strings.Replace(strings.TrimPrefix(good, `<?xml version="1.0" encoding="UTF-8"?>`), "<mss:MobileUser>", "<mss:MobileUser>&c;", 1))
		},
		"external-entity": func() io.Reader {
			return strings.NewReader(dtd + strings.Replace(strings.TrimPrefix(good, `<?xml version="1.0" encoding="UTF-8"?>`), "84912345678", "&x;", 1))
		},
		"deep-nesting": func() io.Reader {
			return strings.NewReader(head + strings.Repeat("<a>", 400000) + strings.TrimPrefix(strings.TrimSuffix(good, envelopeTail), envelopeHead) + strings.Repeat("</a>", 400000) + envelopeTail)
		},
		"over-the-size-cap": func() io.Reader {
			// 64 MiB of comment after a good answer, streamed: the client
			// must stop reading at its cap rather than buffer it all.
			pad := strings.NewReader("<!--" + strings.Repeat("x", 1<<20))
			return io.MultiReader(strings.NewReader(strings.TrimSuffix(good, envelopeTail)), pad,
				io.LimitReader(repeatReader('x'), 63<<20), strings.NewReader("-->"+envelopeTail))
		},
		"mss-namespace-of-another-version": func() io.Reader {
			return strings.NewReader(strings.ReplaceAll(good, "http://uri.etsi.org/TS102204/v1.1.2#", "http://uri.etsi.org/TS102204/v1.1.1#"))
		},
		"signature-outside-the-message": func() io.Reader {
			s := strings.Replace(good, sigEl, "", 1)
			return strings.NewReader(strings.Replace(s, "</MSS_SignatureResponse>", `<mss:X xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#">`+sigEl+`</mss:X></MSS_SignatureResponse>`, 1))
		},
		// SOAP 1.1, the binding of the TS 102 204 WSDL, is read (see
		// TestRecordedAnswers); an envelope in any other namespace is not.
		"envelope-of-another-namespace": func() io.Reader {
			return strings.NewReader(strings.ReplaceAll(good, "http://www.w3.org/2003/05/soap-envelope", "http://www.w3.org/2001/12/soap-envelope"))
		},
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.Copy(w, body())
			}))
			defer srv.Close()
			c, err := simpki.NewClient(simpki.Config{URL: srv.URL, APID: "kyso-ap"})
			require.NoError(t, err)
			s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
			require.NoError(t, err)
			start := time.Now()
			got, err := s.SignDigest(context.Background(), digest, crypto.SHA256)
			require.Nil(t, got)
			require.ErrorIs(t, err, simpki.ErrProtocol)
			require.Less(t, time.Since(start), 20*time.Second)
		})
	}

	// Control: the same signature, well-formed, is accepted.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, good)
	}))
	defer srv.Close()
	requireSigns(t, simpki.Config{URL: srv.URL, APID: "kyso-ap"}, id, digest, sig)
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}
