// Package pdfread is a PDF object reader for kyso's verifier: a trimmed
// copy of github.com/digitorus/pdf v0.2.0 (itself a fork of rsc.io/pdf,
// BSD-style licence in LICENSE, copyright The Go Authors), keeping only
// the object, xref, stream-filter and decryption code (read.go, lex.go,
// types.go, text.go).
//
// It is a copy rather than a dependency because the upstream lexer loops
// forever, growing memory, on an array left open before "endobj" (found by
// verify's FuzzPDFRevisions); kyso's changes are marked "kyso:" in the
// source. The verify package calls it only under a recover and through a
// reader that fails after repeated reads past the end of input.
//
// When package pdf exports its own reader, verify should move to it and
// this copy should go.
package pdfread
