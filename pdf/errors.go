package pdf

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of these
// (or an error from the signer or the context), so callers can match them
// with errors.Is.
var (
	// ErrMalformed: the input is not a readable PDF (bad xref, truncated
	// objects, reference loops, …).
	ErrMalformed = errors.New("pdf: malformed document")
	// ErrUnsupported: the document uses a feature this package does not
	// handle (an unknown security handler or stream filter, …).
	ErrUnsupported = errors.New("pdf: unsupported feature")
	// ErrWrongPassword: the document is encrypted and Options.Password
	// (empty by default) is neither its user nor its owner password.
	ErrWrongPassword = errors.New("pdf: wrong password for encrypted document")
	// ErrFieldNotFound: Options.Field names an existing field that is not a
	// signature field.
	ErrFieldNotFound = errors.New("pdf: signature field not found")
	// ErrFieldSigned: the named signature field already holds a signature.
	ErrFieldSigned = errors.New("pdf: signature field is already signed")
	// ErrNotPermitted: the document's certification (DocMDP P=1) forbids
	// further signatures, or certification was asked for a document that is
	// already signed.
	ErrNotPermitted = errors.New("pdf: operation not permitted by the document's signatures")
	// ErrPlaceholderTooSmall: the finished CMS does not fit in the reserved
	// /Contents space. Raise Options.Reserve.
	ErrPlaceholderTooSmall = errors.New("pdf: signature does not fit in the reserved space")
	// ErrInputChanged: Finish was given a different input from the one
	// Prepare read.
	ErrInputChanged = errors.New("pdf: input differs from the prepared document")
	// ErrBadState: a serialised two-phase state could not be decoded.
	ErrBadState = errors.New("pdf: invalid prepared state")
	// ErrBadOptions: the options are inconsistent (bad rectangle, page out
	// of range, unreadable image or font, …).
	ErrBadOptions = errors.New("pdf: invalid options")
	// ErrBadRect: a visible signature's rectangle is not on the page, is
	// degenerate, or cannot hold what is to be drawn in it. It wraps
	// ErrBadOptions.
	ErrBadRect = fmt.Errorf("%w: bad rectangle", ErrBadOptions)
	// ErrTimestamp: the TSA could not be reached, refused, or returned a
	// token that does not check out (signature and document time-stamps
	// alike).
	ErrTimestamp = errors.New("pdf: time-stamp failed")
)

// errPageRange says that page p is not among the document's n pages.
func errPageRange(p, n int) error {
	pages := fmt.Sprintf("%d pages", n)
	if n == 1 {
		pages = "1 page"
	}
	return fmt.Errorf("%w: page %d out of range (the document has %s)", ErrBadOptions, p, pages)
}
