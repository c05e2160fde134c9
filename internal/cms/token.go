package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math"
	"math/big"
	"time"
)

// Token is a parsed RFC 3161 time-stamp token: a SignedData encapsulating a
// TSTInfo.
type Token struct {
	// DER is the token (a ContentInfo).
	DER []byte
	// SignedData is the parsed token.
	SignedData *SignedData
	// Policy is the TSA policy under which the token was issued.
	Policy asn1.ObjectIdentifier
	// HashAlgorithm and HashedMessage form the message imprint.
	HashAlgorithm crypto.Hash
	HashedMessage []byte
	// SerialNumber is the token's serial number, unique per TSA.
	SerialNumber *big.Int
	// GenTime is the time the TSA asserts, and Accuracy its stated
	// accuracy (zero when absent).
	GenTime  time.Time
	Accuracy time.Duration
	// Ordering is the TSTInfo ordering flag.
	Ordering bool
	// Nonce is the request nonce the TSA echoed, nil when absent.
	Nonce *big.Int
	// Certificates are those the token carries; TSACertificate is the one
	// that signed it (nil when the token does not include it).
	Certificates   []*x509.Certificate
	TSACertificate *x509.Certificate
}

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type accuracyASN struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"optional,tag:0"`
	Micros  int `asn1:"optional,tag:1"`
}

type tstInfoASN struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time     `asn1:"generalized"`
	Accuracy       accuracyASN   `asn1:"optional"`
	Ordering       bool          `asn1:"optional,default:false"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional,explicit,tag:0"`
	Extensions     asn1.RawValue `asn1:"optional,tag:1"`
}

// ParseToken parses an RFC 3161 time-stamp token (a DER ContentInfo). It
// checks structure only; VerifyData / VerifyDigest check the signature.
func ParseToken(der []byte) (*Token, error) { return parseToken(der, 1) }

func parseToken(der []byte, depth int) (*Token, error) {
	sd, _, err := parse(der, depth)
	if err != nil {
		return nil, err
	}
	if !sd.ContentType.Equal(OIDTSTInfo) {
		return nil, formatErr("time-stamp token content type %v is not TSTInfo", sd.ContentType)
	}
	if sd.Content == nil {
		return nil, formatErr("time-stamp token without TSTInfo")
	}
	if len(sd.SignerInfos) != 1 {
		return nil, formatErr("time-stamp token has %d SignerInfos", len(sd.SignerInfos))
	}
	var info tstInfoASN
	if err := unmarshalExact(sd.Content, &info); err != nil {
		return nil, formatErr("TSTInfo: %v", err)
	}
	if info.Version != 1 {
		return nil, formatErr("TSTInfo version %d", info.Version)
	}
	h, err := hashFromAlgorithm(info.MessageImprint.HashAlgorithm)
	if err != nil {
		return nil, fmt.Errorf("cms: TSTInfo message imprint: %w", err)
	}
	if len(info.MessageImprint.HashedMessage) != h.Size() {
		return nil, formatErr("TSTInfo imprint of %d bytes for %v", len(info.MessageImprint.HashedMessage), h)
	}
	if info.SerialNumber == nil {
		return nil, formatErr("TSTInfo without serial number")
	}
	acc := info.Accuracy
	// maxAccuracySeconds keeps the accuracy within a time.Duration.
	const maxAccuracySeconds = math.MaxInt64/int64(time.Second) - 1
	if acc.Seconds < 0 || int64(acc.Seconds) > maxAccuracySeconds ||
		acc.Millis < 0 || acc.Millis > 999 || acc.Micros < 0 || acc.Micros > 999 {
		return nil, formatErr("TSTInfo accuracy out of range")
	}
	t := &Token{
		DER:           sd.Raw,
		SignedData:    sd,
		Policy:        info.Policy,
		HashAlgorithm: h,
		HashedMessage: info.MessageImprint.HashedMessage,
		SerialNumber:  info.SerialNumber,
		GenTime:       info.GenTime,
		Accuracy: time.Duration(acc.Seconds)*time.Second + time.Duration(acc.Millis)*time.Millisecond +
			time.Duration(acc.Micros)*time.Microsecond,
		Ordering:     info.Ordering,
		Nonce:        info.Nonce,
		Certificates: sd.Certificates,
	}
	if c, err := sd.SignerCertificate(sd.SignerInfos[0]); err == nil {
		t.TSACertificate = c
	}
	return t, nil
}

// VerifyData checks the token over data: its imprint must be the hash of
// data, then as VerifyDigest.
func (t *Token) VerifyData(data []byte) error {
	return t.VerifyDigest(hashBytes(t.HashAlgorithm, data))
}

// VerifyDigest checks that the token's message imprint is digest (made with
// t.HashAlgorithm), that the token signature verifies under the TSA
// certificate it carries, that its signed attributes bind that certificate
// (ESS signing-certificate, required by RFC 3161), and that the certificate
// has the critical id-kp-timeStamping extended key usage and no other.
// Failures wrap ErrTimestamp. It makes no trust decision about the TSA.
func (t *Token) VerifyDigest(digest []byte) error {
	if !bytes.Equal(digest, t.HashedMessage) {
		return fmt.Errorf("cms: time-stamp imprint differs from the time-stamped data: %w: %w", ErrTimestamp, ErrHashMismatch)
	}
	return t.verifySignature()
}

func (t *Token) verifySignature() error {
	if t.TSACertificate == nil {
		return fmt.Errorf("cms: time-stamp token does not include the TSA certificate: %w: %w", ErrTimestamp, ErrNoSignerCertificate)
	}
	si := t.SignedData.SignerInfos[0]
	if si.RawSignedAttrs == nil {
		return fmt.Errorf("cms: time-stamp token without signed attributes: %w: %w", ErrTimestamp, ErrFormat)
	}
	if si.SigningCertificateVersion() == 0 {
		return fmt.Errorf("cms: time-stamp token without ESS signing-certificate: %w: %w", ErrTimestamp, ErrESSMismatch)
	}
	if err := t.SignedData.verifySignature(si, t.TSACertificate, nil); err != nil {
		return fmt.Errorf("cms: time-stamp token signature: %w: %w", ErrTimestamp, err)
	}
	if err := CheckTSACertificate(t.TSACertificate); err != nil {
		return err
	}
	return nil
}

var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// CheckTSACertificate checks what RFC 3161 §2.3 requires of a TSA
// certificate: one extended key usage extension, marked critical, holding
// id-kp-timeStamping only. Failures wrap ErrTimestamp.
func CheckTSACertificate(c *x509.Certificate) error {
	n := 0
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidExtKeyUsage) {
			continue
		}
		n++
		if !e.Critical {
			return fmt.Errorf("cms: TSA certificate %q: extended key usage not critical: %w", c.Subject.CommonName, ErrTimestamp)
		}
	}
	if n != 1 {
		return fmt.Errorf("cms: TSA certificate %q: %d extended key usage extensions: %w", c.Subject.CommonName, n, ErrTimestamp)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0 {
		return fmt.Errorf("cms: TSA certificate %q: extended key usage is not exactly id-kp-timeStamping: %w", c.Subject.CommonName, ErrTimestamp)
	}
	return nil
}
