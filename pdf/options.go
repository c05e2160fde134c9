package pdf

import (
	"crypto"
	"net/http"
	"time"
)

// Options control how a document is signed. The zero value makes an
// invisible PAdES B-B approval signature with SHA-256 in a new field named
// "Signature1" (or the next free "SignatureN") on page 1.
type Options struct {
	// Field names the signature field. When the document has an empty
	// signature field with this (fully qualified) name, it is signed;
	// otherwise a new top-level field with this name (which must not
	// contain '.') is created. Empty means a new field named "SignatureN".
	Field string
	// Page is the page (1-based) that carries a new field's widget; -1 is
	// the last page. Zero means 1.
	Page int
	// Appearance makes the signature visible. Nil means invisible.
	Appearance *Appearance
	// Widgets show the same signature in more places: the document
	// number and date a clerk writes when issuing, initials on every
	// page. Each becomes a widget annotation of the signature's field
	// (which must be a new one).
	Widgets []Widget

	// Name, Reason, Location and ContactInfo go into the signature
	// dictionary as PDF text strings (UTF-16BE when not ASCII). Name
	// defaults to the certificate's common name.
	Name, Reason, Location, ContactInfo string
	// SigningTime is the claimed signing time written to /M (and to the
	// visible template). Zero means now. A time in UTC or in the local
	// zone is written in Vietnam time (UTC+07:00); any other zone is kept.
	// It is not a trusted time: use a TSA for that.
	SigningTime time.Time

	// Hash is the digest algorithm: crypto.SHA256 (default), SHA384 or
	// SHA512.
	Hash crypto.Hash
	// PSS selects RSASSA-PSS for RSA keys.
	PSS bool
	// Legacy writes SubFilter adbe.pkcs7.detached (with a CMS signing-time
	// attribute) instead of ETSI.CAdES.detached, for old consumers.
	Legacy bool

	// Certify makes this a certification signature with DocMDP
	// permissions P (1: no changes, 2: form filling and signing, 3: also
	// annotations). Only allowed on a document without signatures. Zero
	// makes an approval signature.
	Certify int
	// Lock, when set, locks form fields once this signature is applied
	// (/Lock in the field, FieldMDP transform in the signature).
	Lock *FieldLock

	// TimestampURL, when set, adds an RFC 3161 signature time-stamp from
	// that TSA (PAdES B-T). HTTPClient is used for the request
	// (http.DefaultClient when nil).
	TimestampURL string
	HTTPClient   *http.Client

	// Level is the PAdES baseline level. The zero value is B-B (B-T when
	// TimestampURL is set). LevelBT, LevelBLT and LevelBLTA need
	// TimestampURL; LevelBLT and LevelBLTA append a DSS update with the
	// validation data of the new signature and of every earlier one, and
	// LevelBLTA then a document time-stamp from the same TSA. Each is its
	// own incremental update, after the signature's.
	Level Level
	// LTV controls how B-LT validation data is collected (supplied
	// evidence, offline mode, VRI). Nil means: fetched online with
	// HTTPClient, no VRI. Its Password defaults to Password.
	LTV *LTVOptions

	// Password opens an encrypted document (user or owner password).
	// Empty is the empty user password.
	Password string

	// Reserve is the number of bytes reserved for the CMS signature. Zero
	// means an estimate from the certificate chain, the signature size
	// and a probe time-stamp from the TSA, with headroom. Setting it saves
	// the probe request (one per signature) on busy servers; a CMS that
	// does not fit fails with ErrPlaceholderTooSmall.
	Reserve int

	// docTimestamp lays out a document time-stamp instead of a signature.
	docTimestamp bool
}

// LockAction selects which fields a FieldLock freezes.
type LockAction int

const (
	// LockAll freezes every field in the document.
	LockAll LockAction = iota
	// LockInclude freezes the listed fields.
	LockInclude
	// LockExclude freezes every field except the listed ones.
	LockExclude
)

// FieldLock describes the fields a signature locks.
type FieldLock struct {
	// Action says which fields are locked: all, those in Fields, or all
	// but those in Fields.
	Action LockAction
	// Fields are fully qualified field names (for Include and Exclude).
	Fields []string
}

// Appearance describes a visible signature.
type Appearance struct {
	// Rect is where the signature is drawn on the page, in points, in the
	// page's displayed orientation (see Rect). It must lie on the page;
	// [SealRect] places an agency seal per Decree 30/2020. Ignored when
	// an existing field is signed: its widget keeps its rectangle.
	Rect Rect
	// Lines are the text lines, most important first (when the box is
	// too small the last lines are left out rather than drawn smaller
	// than MinFontSize). Nil means the Vietnamese template: "Ký bởi:
	// <CN>", "Cơ quan: <O>", the e-mail when ShowEmail is set, "Thời gian
	// ký: dd/mm/yyyy hh:mm:ss (GMT+7)". An empty non-nil slice means no
	// text. Long lines wrap within the box.
	Lines []string
	// ShowEmail adds the certificate's e-mail address to the template.
	ShowEmail bool
	// Font is a TrueType font (.ttf) used for the text; it is embedded as
	// a subset. Nil means Liberation Serif.
	Font []byte
	// FontSize in points; zero picks the largest size up to 10 pt at which
	// the wrapped text fits, never under 7 pt in a box of at least 150 x
	// 60 pt nor under 6 pt in any box: lines that still do not fit are
	// left out (reported through OnLayout). A set size wraps but never
	// shrinks; under 6 pt it is refused.
	FontSize float64
	// Image is a PNG (alpha is kept, for a red seal; at most 16 Mpx) or a
	// JPEG.
	Image []byte
	// ImageLayout places the image relative to the text.
	ImageLayout ImageLayout
	// ImageWidth draws the image at this width in points, keeping its
	// aspect ratio — a seal at its real size, MM(36) for 36 mm. Zero fits
	// the image into its part of the box. An image larger than its part
	// of the box is refused (ErrBadRect).
	ImageWidth float64
	// TimeZone for the template's signing time; nil means
	// Asia/Ho_Chi_Minh (GMT+7).
	TimeZone *time.Location
	// OnLayout, when set, is called with the layout drawn: the font size,
	// the wrapped lines and any lines left out.
	OnLayout func(AppearanceLayout)
}

// Widget is one more place where a signature is shown.
type Widget struct {
	// Page is the page number, from 1 (0 means 1, -1 the last page).
	Page int
	// Appearance is what the widget shows and where (its Rect).
	Appearance *Appearance
}

// ImageLayout places an appearance's image.
type ImageLayout int

const (
	// ImageLeft puts the image in the left part of the rectangle and the
	// text to its right.
	ImageLeft ImageLayout = iota
	// ImageBackground draws the image under the text, filling the
	// rectangle (keeping its aspect ratio).
	ImageBackground
	// ImageOnly draws only the image (a seal signature).
	ImageOnly
	// ImageAbove puts the image in the upper part of the rectangle and
	// the text below it.
	ImageAbove
	// TextOnly draws only the text, even when Image is set.
	TextOnly
	// ImageRight puts the image in the right part of the rectangle and
	// the text to its left (an agency seal over a leader's signature,
	// with the agency's text outside the leader's box).
	ImageRight
)

// vietnamTime returns the Asia/Ho_Chi_Minh zone, or UTC+7 when the system
// has no time zone database (Vietnam has no daylight saving time).
func vietnamTime() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*3600)
}
