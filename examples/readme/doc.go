// Package readme keeps the Go snippets of the repository's README.md
// compiling and working: readme_test.go holds them verbatim, checks that the
// README still shows exactly that code, and runs them against a test PKI.
package readme
