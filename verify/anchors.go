package verify

import (
	"encoding/hex"
	"strings"
)

// KnownAnchor describes one root of the Vietnamese trust landscape: the
// national root family run by NEAC (Trung tâm Chứng thực điện tử quốc gia)
// and the Government specialised CA run by the Government Cipher Committee
// (Ban Cơ yếu Chính phủ, VGCA).
//
// kyso ships names and fingerprints only, never the certificates: a caller
// downloads a root from its publisher and loads it with
// [TrustStore.AddKnown], which accepts it only when its SHA-256 fingerprint
// matches the one listed here.
type KnownAnchor struct {
	// Name is the anchor's usual name (its certificate's common name where
	// known).
	Name string `json:"name"`
	// Family groups the anchors: "NEAC" or "VGCA".
	Family string `json:"family"`
	// Regime is the legal regime the anchor serves: public digital
	// signatures (NEAC, Decree 23/2025) or public-duty signatures
	// (Government CA, Decree 68/2024). The two sets are kept apart.
	Regime Regime `json:"regime"`
	// Purpose says what the anchor is for, in English.
	Purpose string `json:"purpose"`
	// URL is where the publisher serves the certificate or bundle.
	URL string `json:"url,omitempty"`
	// SHA256 is the full SHA-256 fingerprint of the certificate (lowercase
	// hex) when it is known. Empty when only part of it (or nothing) is.
	SHA256 string `json:"sha256,omitempty"`
	// SHA256Prefix and SHA256Suffix hold the only known parts of a
	// fingerprint. A partial fingerprint is not enough to pin a root:
	// AddKnown refuses such anchors; use AddPinned with the full value
	// after checking it against the publisher.
	SHA256Prefix string `json:"sha256Prefix,omitempty"`
	SHA256Suffix string `json:"sha256Suffix,omitempty"`
	// SubjectKeyID is the anchor's key identifier (hex) as the
	// authorityKeyIdentifier of a real certificate it issued shows it,
	// when its own certificate is not at hand. It is informational: a key
	// identifier is not a fingerprint and never makes a certificate
	// trusted.
	SubjectKeyID string `json:"subjectKeyId,omitempty"`
	// Verified is true when SHA256 was computed from a real copy of the
	// certificate and cross-checked (the third-party partial
	// fingerprint, signatures of real CA certificates issued under it);
	// false for every entry whose data comes only from third-party
	// sources. No entry has been compared with rootca.gov.vn / ca.gov.vn
	// from this project (no network); Note says what was checked.
	Verified bool `json:"verified"`
	// Note says where the data comes from and what is uncertain.
	Note string `json:"note,omitempty"`
}

// Regime is the legal regime of a trust anchor.
type Regime string

const (
	// RegimePublic: public digital signatures (chữ ký số công cộng), whose
	// certificates chain to the national root run by NEAC (Decree
	// 23/2025/ND-CP, Circular 15/2025/TT-BKHCN).
	RegimePublic Regime = "public"
	// RegimePublicDuty: public-duty digital signatures (chữ ký số chuyên
	// dùng công vụ) of state bodies, whose certificates chain to the
	// Government CA run by the Government Cipher Committee (Ban Cơ yếu
	// Chính phủ; Decree 68/2024/ND-CP).
	RegimePublicDuty Regime = "public-duty"
)

// Vietnamese returns the regime's Vietnamese name.
func (r Regime) Vietnamese() string {
	switch r {
	case RegimePublic:
		return "chữ ký số công cộng (Trung tâm Chứng thực điện tử quốc gia, Nghị định 23/2025/NĐ-CP)"
	case RegimePublicDuty:
		return "chữ ký số chuyên dùng công vụ (Ban Cơ yếu Chính phủ, Nghị định 68/2024/NĐ-CP)"
	}
	return string(r)
}

// English returns the regime's English name.
func (r Regime) English() string {
	switch r {
	case RegimePublic:
		return "public digital signature (NEAC national root, Decree 23/2025)"
	case RegimePublicDuty:
		return "public-duty digital signature (Government CA, Decree 68/2024)"
	}
	return string(r)
}

// KnownAnchorsFor returns the built-in anchors of one regime.
func KnownAnchorsFor(r Regime) []KnownAnchor {
	var out []KnownAnchor
	for _, k := range knownAnchors {
		if k.Regime == r {
			out = append(out, k)
		}
	}
	return out
}

// knownAnchors is the built-in landscape (research digest notes/verify.md
// §1.2). Only the Vietnam National Root CA's fingerprint has been computed
// from a real certificate (../shared/realworld/ca_Vietnam_National_Root_CA_
// vnrca256.pem, pinned by TestKnownAnchorsFromRealCertificates); the rest
// comes from third-party sources and every entry says so. Names of the
// per-purpose NEAC roots other than "RS" are keystore aliases seen in
// third-party scripts, not certificate names.
var knownAnchors = []KnownAnchor{
	{
		Name: "MIC National Root CA", Family: "NEAC", Regime: RegimePublic,
		Purpose:      "national root, SHA-1 generation (legacy)",
		URL:          "https://rootca.gov.vn/crt/micnrca.crt",
		SubjectKeyID: "cd6271e461bdfe3decb24060d38175dd3aac6bc6",
		Note:         "name (C=VN, O=Ministry of Information and Communications, OU=National CA Center, CN=MIC National Root CA) and key identifier read from a real CA certificate it issued (Viettel-CA, 2015-2020); fingerprint unknown (the root certificate itself is not at hand)",
	},
	{
		Name: "Vietnam National Root CA", Family: "NEAC", Regime: RegimePublic,
		Purpose:      "national root (SHA-256), anchor of the licensed public CAs (VNPT-CA, Viettel-CA, FPT-CA, BKAV-CA, …)",
		URL:          "https://rootca.gov.vn/crt/vnrca256.p7b",
		SHA256:       "bac8bf609ab420a8ee1780d74f4de5c7f7184959d2a7375b0a75e4c29f0908e7",
		SHA256Prefix: "bac8bf60", SHA256Suffix: "0908e7",
		SubjectKeyID: "7ef087edb1b89dfb08836fa416fdf1b8ac629b01",
		Verified:     true,
		Note:         "fingerprint computed from a real copy of the certificate (C=VN, O=Ministry of Information and Communications, OU=National Centre of Digital Signature Authentication, CN=Vietnam National Root CA, RSA, 2014-04-15..2039-04-15); it agrees with the prefix and suffix published by third parties and verifies the signature of a real CA certificate issued under it (WINCA, 2022); not compared with rootca.gov.vn from here",
	},
	{
		Name: "Vietnam National Root CA G3", Family: "NEAC", Regime: RegimePublic,
		Purpose: "national root, third generation (2024-2049 per third-party code)",
		Note:    "keystore alias vnrca-g3; fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA - TSA", Family: "NEAC", Regime: RegimePublic,
		Purpose: "root for time-stamping authorities (2025-2050 per third-party code)",
		Note:    "keystore alias vnrca-tsa; fingerprint unknown",
	},
	{
		Name: "VIETNAM NATIONAL ROOT CA - RS", Family: "NEAC", Regime: RegimePublic,
		Purpose: "root for remote signing services",
		Note:    "keystore alias vnrca-rs; fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA - Mobile PKI", Family: "NEAC", Regime: RegimePublic,
		Purpose: "root for SIM-based mobile signatures (SIM PKI)",
		Note:    "keystore alias vnrca-mobilepki; certificate name and fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA - USB Token", Family: "NEAC", Regime: RegimePublic,
		Purpose: "root for USB-token signatures",
		Note:    "keystore alias vnrca-usbtoken; certificate name and fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA - EMA", Family: "NEAC", Regime: RegimePublic,
		Purpose: "per-purpose NEAC root (alias vnrca-ema)",
		Note:    "purpose, certificate name and fingerprint unknown",
	},
	{
		Name: "Vietnam National CA - ERD", Family: "NEAC", Regime: RegimePublic,
		Purpose: "per-purpose NEAC CA (alias vnca-erd)",
		Note:    "purpose, certificate name and fingerprint unknown",
	},
	{
		Name: "Vietnam National CA - LTA", Family: "NEAC", Regime: RegimePublic,
		Purpose: "per-purpose NEAC CA (alias vnca-lta), presumably long-term archival",
		Note:    "purpose, certificate name and fingerprint unknown",
	},
	{
		Name: "VGCA Root CA (G1)", Family: "VGCA", Regime: RegimePublicDuty,
		Purpose: "Government specialised CA (Ban Cơ yếu Chính phủ), first generation 2010-2030; sub-CA cp.crt issues signer certificates",
		URL:     "https://ca.gov.vn/pki/pub/cert/rootca.crt",
		Note:    "real certificates issued under it (rw31: Co quan chung thuc so Bo Tai chinh) name it C=VN, O=Ban Co yeu Chinh phu, CN=Co quan chung thuc so chuyen dung Chinh phu (RootCA); fingerprint unknown",
	},
	{
		Name: "VGCA Root CA G2", Family: "VGCA", Regime: RegimePublicDuty,
		Purpose:      "Government specialised CA, second generation 2018-2048 (state bodies cpcag2/cpg2, Party bodies dcscag2)",
		URL:          "https://ca.gov.vn/pki/pub/crt/rootcag2.crt",
		SHA256Prefix: "f04ba4b4", SHA256Suffix: "2fdb8",
		Note: "fingerprint known only by prefix and suffix from third-party sources",
	},
}

// KnownAnchors returns the built-in list of Vietnamese trust anchors. The
// returned slice is a copy.
func KnownAnchors() []KnownAnchor {
	return append([]KnownAnchor(nil), knownAnchors...)
}

// LookupKnownAnchor returns the built-in anchor with that name (compared
// case-insensitively) or nil.
func LookupKnownAnchor(name string) *KnownAnchor {
	for i := range knownAnchors {
		if strings.EqualFold(knownAnchors[i].Name, name) {
			k := knownAnchors[i]
			return &k
		}
	}
	return nil
}

// knownAnchorOf returns a copy of the first built-in anchor whose
// (possibly partial) fingerprint agrees with fp, or nil.
func knownAnchorOf(fp [32]byte) *KnownAnchor {
	for i := range knownAnchors {
		if knownAnchors[i].matchesPartial(fp) {
			k := knownAnchors[i]
			return &k
		}
	}
	return nil
}

// matchesPartial reports whether fp agrees with the known parts of k's
// fingerprint (and k has some).
func (k *KnownAnchor) matchesPartial(fp [32]byte) bool {
	h := hex.EncodeToString(fp[:])
	if k.SHA256 != "" {
		return h == k.SHA256
	}
	if k.SHA256Prefix == "" && k.SHA256Suffix == "" {
		return false
	}
	return strings.HasPrefix(h, k.SHA256Prefix) && strings.HasSuffix(h, k.SHA256Suffix)
}
