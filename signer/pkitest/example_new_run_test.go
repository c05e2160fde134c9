package pkitest_test

import "testing"

// TestExampleNew runs the test ExampleNew shows (kept in another file so
// that godoc presents example_new_test.go whole).
func TestExampleNew(t *testing.T) { testSignAndCheck(t) }
