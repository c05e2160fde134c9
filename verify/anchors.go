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
	// Verified is false for every entry whose data comes from third-party
	// sources and has not been checked against rootca.gov.vn / ca.gov.vn.
	Verified bool `json:"verified"`
	// Note says where the data comes from and what is uncertain.
	Note string `json:"note,omitempty"`
}

// knownAnchors is the built-in landscape (research digest notes/verify.md
// §1.2). None of it has been verified against the publishers yet; every
// entry says so. Names of the per-purpose NEAC roots other than "RS" are
// keystore aliases seen in third-party scripts, not certificate names.
var knownAnchors = []KnownAnchor{
	{
		Name: "MIC National Root CA", Family: "NEAC",
		Purpose: "national root, SHA-1 generation (legacy)",
		URL:     "https://rootca.gov.vn/crt/micnrca.crt",
		Note:    "name and URL from third-party code; fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA", Family: "NEAC",
		Purpose:      "national root (SHA-256), anchor of the licensed public CAs (VNPT-CA, Viettel-CA, FPT-CA, BKAV-CA, …)",
		URL:          "https://rootca.gov.vn/crt/vnrca256.p7b",
		SHA256Prefix: "bac8bf60", SHA256Suffix: "0908e7",
		Note: "fingerprint known only by prefix and suffix from third-party sources; a Go package embeds a G2 root valid 2014-2039",
	},
	{
		Name: "Vietnam National Root CA G3", Family: "NEAC",
		Purpose: "national root, third generation (2024-2049 per third-party code)",
		Note:    "keystore alias vnrca-g3; fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA - TSA", Family: "NEAC",
		Purpose: "root for time-stamping authorities (2025-2050 per third-party code)",
		Note:    "keystore alias vnrca-tsa; fingerprint unknown",
	},
	{
		Name: "VIETNAM NATIONAL ROOT CA - RS", Family: "NEAC",
		Purpose: "root for remote signing services",
		Note:    "keystore alias vnrca-rs; fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA - Mobile PKI", Family: "NEAC",
		Purpose: "root for SIM-based mobile signatures (SIM PKI)",
		Note:    "keystore alias vnrca-mobilepki; certificate name and fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA - USB Token", Family: "NEAC",
		Purpose: "root for USB-token signatures",
		Note:    "keystore alias vnrca-usbtoken; certificate name and fingerprint unknown",
	},
	{
		Name: "Vietnam National Root CA - EMA", Family: "NEAC",
		Purpose: "per-purpose NEAC root (alias vnrca-ema)",
		Note:    "purpose, certificate name and fingerprint unknown",
	},
	{
		Name: "Vietnam National CA - ERD", Family: "NEAC",
		Purpose: "per-purpose NEAC CA (alias vnca-erd)",
		Note:    "purpose, certificate name and fingerprint unknown",
	},
	{
		Name: "Vietnam National CA - LTA", Family: "NEAC",
		Purpose: "per-purpose NEAC CA (alias vnca-lta), presumably long-term archival",
		Note:    "purpose, certificate name and fingerprint unknown",
	},
	{
		Name: "VGCA Root CA (G1)", Family: "VGCA",
		Purpose: "Government specialised CA (Ban Cơ yếu Chính phủ), first generation 2010-2030; sub-CA cp.crt issues signer certificates",
		URL:     "https://ca.gov.vn/pki/pub/cert/rootca.crt",
		Note:    "fingerprint unknown",
	},
	{
		Name: "VGCA Root CA G2", Family: "VGCA",
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
