package pdf

import (
	"bytes"
	"sort"
)

// Test helpers of this package for the external tests (package pdf_test).
var (
	ClassicPDFForTest = classicPDF
	CheckToolsForTest = checkTools
	LTVToolsForTest   = ltvTools
)

// RewrittenSourcesForTest returns, for each object of the (unencrypted)
// document in that the update appended in out redefines, its source text
// before and after, in object number order.
func RewrittenSourcesForTest(in, out []byte) (nums []int, before, after [][]byte, err error) {
	din, err := open(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	dout, err := open(bytes.NewReader(out), int64(len(out)), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	for n, e := range dout.xref {
		if _, existed := din.xref[n]; existed && e.typ == 1 && e.offset >= int64(len(in)) {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		var b, a []byte
		if s := din.source(n); s != nil {
			b = s.src
		}
		if s := dout.source(n); s != nil {
			a = s.src
		}
		before, after = append(before, b), append(after, a)
	}
	return nums, before, after, nil
}

// GoldenCompare is goldenCompare for the pdf_test package's tests.
var GoldenCompare = goldenCompare
