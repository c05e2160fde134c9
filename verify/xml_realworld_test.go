package verify

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	kxml "github.com/kyso-vn/kyso/xml"
)

// spkiOnlyCertificate returns a certificate value holding only the public
// key of der, read straight from its SubjectPublicKeyInfo. rw30's
// certificate has a negative serial number, which crypto/x509 refuses;
// making such certificates readable is another change, so this table
// checks the signature's integrity (digests and signature value) with the
// key alone.
func spkiOnlyCertificate(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	var cert struct {
		TBS struct {
			Version  asn1.RawValue `asn1:"optional,explicit,tag:0"`
			Serial   asn1.RawValue
			SigAlg   asn1.RawValue
			Issuer   asn1.RawValue
			Validity asn1.RawValue
			Subject  asn1.RawValue
			SPKI     asn1.RawValue
		}
		Rest []asn1.RawValue `asn1:"optional"`
	}
	_, err := asn1.Unmarshal(der, &cert)
	require.NoError(t, err)
	pub, err := x509.ParsePKIXPublicKey(cert.TBS.SPKI.FullBytes)
	require.NoError(t, err)
	var validity struct{ NotBefore, NotAfter time.Time }
	_, err = asn1.Unmarshal(cert.TBS.Validity.FullBytes, &validity)
	require.NoError(t, err)
	return &x509.Certificate{Raw: der, PublicKey: pub, NotBefore: validity.NotBefore, NotAfter: validity.NotAfter}
}

// unparsableKeyInfoCerts returns the DER of every X509Certificate in doc that
// crypto/x509 cannot parse.
func unparsableKeyInfoCerts(t *testing.T, doc []byte) [][]byte {
	d, err := kxml.Parse(doc)
	if err != nil {
		return nil
	}
	els, _ := d.Find("//X509Certificate")
	var out [][]byte
	for _, e := range els {
		der, err := decodeB64(e.Text())
		if err != nil {
			continue
		}
		if _, err := x509.ParseCertificate(der); err != nil {
			out = append(out, der)
		}
	}
	return out
}

func decodeB64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Map(dropSpace, s))
}

// Every XML row of ../shared/realworld/EXPECTED.tsv: each signature's
// integrity equals the reference one (agreed by xmlsec1, the JDK and the
// producers' semantics), validated offline at the row's time without a
// trust anchor. Files re-indented after signing stay broken.
func TestRealworldXMLIntegrityTable(t *testing.T) {
	rows := readTSV(t, testutil.Realworld(t, "EXPECTED.tsv"))
	n := 0
	for _, row := range rows {
		file := row["file"]
		if !strings.HasSuffix(file, ".xml") {
			continue
		}
		n++
		t.Run(strings.TrimSuffix(file, ".xml"), func(t *testing.T) {
			data, err := os.ReadFile(testutil.Realworld(t, file))
			require.NoError(t, err)
			at, err := time.Parse(time.RFC3339, row["at"])
			require.NoError(t, err)
			want := strings.Split(row["reference_integrity (majority of independent validators / producer semantics)"], ",")
			v, err := New(Options{Trust: NewTrustStore(), Time: at})
			require.NoError(t, err)
			x := NewXMLVerifier(v)
			if bad := unparsableKeyInfoCerts(t, data); len(bad) > 0 {
				// rw30: a negative serial number (see spkiOnlyCertificate).
				for _, der := range bad {
					x.Options.Certificates = append(x.Options.Certificates, spkiOnlyCertificate(t, der))
				}
			}
			rep, err := x.VerifyBytes(context.Background(), data)
			if want[0] == "unparsable" {
				require.Error(t, err)
				assert.ErrorIs(t, err, kxml.ErrEncoding)
				return
			}
			require.NoError(t, err)
			requireKnownCodes(t, rep)
			require.Len(t, rep.Signatures, len(want))
			for i, w := range want {
				s := rep.Signatures[i]
				msg := s.Text(English)
				switch {
				case w == "intact":
					assert.True(t, s.Integrity.Intact, "signature %d: %s", i, msg)
					assert.NotEqual(t, TotalFailed, s.Indication, "signature %d: %s", i, msg)
					assert.False(t, strings.Contains(msg, "Content changed"), msg)
				case strings.HasPrefix(w, "broken"):
					assert.False(t, s.Integrity.Intact, "signature %d: %s", i, msg)
					assert.Equal(t, TotalFailed, s.Indication, "signature %d: %s", i, msg)
					switch w {
					case "broken(HASH)":
						assert.Equal(t, HashFailure, s.SubIndication, msg)
					case "broken(FORMAT)":
						assert.Equal(t, FormatFailure, s.SubIndication, msg)
						assert.True(t, s.Integrity.NotChecked, msg)
						assert.NotContains(t, msg, "0 references")
					}
				default:
					t.Fatalf("unknown reference integrity %q", w)
				}
			}
		})
	}
	assert.GreaterOrEqual(t, n, 30, "XML rows in EXPECTED.tsv")
}

// xmlsecDisagrees lists attack-table rows that xmlsec1 verifies as they
// are: the table's outcome comes from signxml, which rejects them for its
// own conformance rules, not for changed content.
var xmlsecDisagrees = map[string]string{
	"test__xades__nonconformant-X_BE_CONN_10.xml": "xmlsec1 --verify --insecure: OK, SignedInfo references 2/2; signxml's InvalidDigest is its own conformance rule",
}

// The XML rows of ../shared/corpus/attacks/SOURCES.tsv, with the pass
// criteria of ../shared/corpus/README.md: an attack is never TOTAL_PASSED
// and its report shows the manipulation (a HASH_FAILURE,
// SIG_CRYPTO_FAILURE or FORMAT_FAILURE), and a legitimate file is never
// TOTAL_FAILED (INDETERMINATE only for trust, time, revocation or
// algorithm reasons).
func TestXMLAttackCorpus(t *testing.T) {
	rows := readTSV(t, testutil.Corpus(t, "attacks/SOURCES.tsv"))
	n := 0
	for _, row := range rows {
		file := row["file"]
		if !strings.HasPrefix(file, "xml/") {
			continue
		}
		n++
		expect := row["expected_correct_outcome"]
		t.Run(filepath.Base(file), func(t *testing.T) {
			switch {
			case strings.HasPrefix(expect, "not a usable case"), strings.HasPrefix(expect, "either outcome acceptable"):
				t.Skipf("corpus: %s", expect)
			}
			data, err := os.ReadFile(testutil.Corpus(t, "attacks/"+file))
			require.NoError(t, err)
			trust := NewTrustStore()
			if tf := row["trust"]; tf != "-" && tf != "" {
				pem, err := os.ReadFile(testutil.Corpus(t, "attacks/"+tf))
				require.NoError(t, err)
				if _, err = trust.Add(pem, tf); err != nil {
					// A trust certificate with a negative serial number
					// (valid_signature_utf8) is for another change to
					// read; the signature is then judged without it.
					require.ErrorContains(t, err, "negative serial number")
					trust = NewTrustStore()
				}
			}
			opts := Options{Trust: trust}
			if at, err := time.Parse(time.RFC3339, row["at"]); err == nil {
				opts.Time = at
			}
			v, err := New(opts)
			require.NoError(t, err)
			rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), data)
			if err == nil {
				requireKnownCodes(t, rep)
			}
			attack := strings.HasPrefix(expect, "must not be TOTAL_PASSED")
			if why, ok := xmlsecDisagrees[filepath.Base(file)]; ok {
				// The table calls it an attack; xmlsec1 verifies it, and
				// so does kyso (see xmlsecDisagrees).
				require.NoError(t, err)
				for _, s := range rep.Signatures {
					assert.True(t, s.Integrity.Intact, "%s: %s", why, s.Text(English))
				}
				return
			}
			if attack {
				if err != nil {
					return // refused outright
				}
				assert.NotEqual(t, TotalPassed, rep.Indication())
				shown := false
				for _, s := range rep.Signatures {
					for _, f := range s.Findings {
						switch f.SubIndication {
						case HashFailure, SigCryptoFailure, FormatFailure:
							shown = true
						}
					}
				}
				if !shown && row["trust"] == "-" && strings.Contains(file, "signature value") {
					// No key anywhere: the signature value cannot be
					// checked, only found unverifiable.
					assert.Equal(t, NoSigningCertificateFound, rep.Signatures[0].SubIndication)
					return
				}
				assert.True(t, shown, "the manipulation is not shown:\n%s", rep.Text(English))
				return
			}
			require.True(t, strings.HasPrefix(expect, "legitimate"), expect)
			require.NoError(t, err)
			require.NotEmpty(t, rep.Signatures)
			for _, s := range rep.Signatures {
				assert.NotEqual(t, TotalFailed, s.Indication, "%s", s.Text(English))
				if s.SubIndication == NoSigningCertificateFound {
					// No usable key: a file without KeyInfo, or one whose
					// certificate has a negative serial number (read by
					// another change). The digests were checked; the
					// signature value could not be.
					assert.True(t, row["trust"] == "-" || len(unparsableKeyInfoCerts(t, data)) > 0, "only a file without a usable key may lack the signer's certificate")
					assert.True(t, s.Integrity.NotChecked, "%s", s.Text(English))
					assert.Contains(t, s.Text(English), "Integrity: Not checked")
					continue
				}
				assert.True(t, s.Integrity.Intact, "%s", s.Text(English))
				if s.Indication == Indeterminate {
					switch s.SubIndication {
					case NoCertificateChainFound, OutOfBoundsNoPOE, NotYetValid, Expired, CryptoConstraintsFailure, TryLater,
						RevokedNoPOE, ChainConstraintsFailure, CertificateChainGeneral:
					default:
						t.Errorf("INDETERMINATE for a content reason: %s\n%s", s.SubIndication, s.Text(English))
					}
				}
			}
		})
	}
	assert.GreaterOrEqual(t, n, 30, "XML rows in SOURCES.tsv")
}
