package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appendRevision appends an incremental update (classic xref table) that
// defines objs (number → body; "" frees the number; a negative offset
// re-points it to the given old offset) after doc.
func appendRevision(t testing.TB, doc []byte, objs map[int]string, repoint map[int]int64) []byte {
	t.Helper()
	d, err := Open(bytes.NewReader(doc), int64(len(doc)), nil)
	require.NoError(t, err)
	revs := d.Revisions()
	last := revs[len(revs)-1]
	var b bytes.Buffer
	b.Write(doc)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		b.WriteByte('\n')
	}
	type ent struct {
		off  int64
		free bool
	}
	ents := map[int]ent{}
	for n, body := range objs {
		if body == "" {
			ents[n] = ent{free: true}
			continue
		}
		ents[n] = ent{off: int64(b.Len())}
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	for n, off := range repoint {
		ents[n] = ent{off: off}
	}
	xref := b.Len()
	b.WriteString("xref\n")
	nums := make([]int, 0, len(ents))
	for n := range ents {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		e := ents[n]
		if e.free {
			fmt.Fprintf(&b, "%d 1\n0000000000 65535 f \n", n)
		} else {
			fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", n, e.off)
		}
	}
	size := d.NumObjects()
	for n := range ents {
		size = max(size, n+1)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %v /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size, d.Trailer()["Root"], last.XRef, xref)
	return b.Bytes()
}

func TestDocumentRevisions(t *testing.T) {
	in := corpus(t, "simple.pdf")
	signed := signBytes(t, in, testSigner(t), &Options{Field: "A"})
	d, err := Open(bytes.NewReader(signed), int64(len(signed)), nil)
	require.NoError(t, err)
	revs := d.Revisions()
	require.Len(t, revs, 2)
	assert.Equal(t, int64(len(in)), revs[0].End, "first revision ends where the input ended")
	assert.Equal(t, int64(len(signed)), revs[1].End)
	assert.Equal(t, revs[0].End, revs[1].Start)
	assert.Zero(t, revs[0].Start)
	assert.NotEmpty(t, revs[1].Defined)
	sigs, err := d.Signatures()
	require.NoError(t, err)
	require.Len(t, sigs, 1)
	s := sigs[0]
	assert.Equal(t, "A", s.Name)
	assert.Len(t, s.ByteRange, 4)
	assert.Equal(t, int64(len(signed)), s.ByteRange[2]+s.ByteRange[3])
	assert.NotEmpty(t, s.Contents)
	assert.False(t, s.DocTimeStamp())
	assert.Equal(t, 0, d.DocMDP())

	// The signed revision, as of the first byte range's end, is the input.
	old, err := d.At(revs[0].End)
	require.NoError(t, err)
	oldSigs, err := old.Signatures()
	require.NoError(t, err)
	assert.Empty(t, oldSigs)

	// An update that only re-points the page content to an older offset
	// and frees another object: both are recorded.
	pageContent := 0
	_, cat, err := d.Catalog()
	require.NoError(t, err)
	pages, _ := d.Resolve(cat["Pages"])
	kids, _ := d.Resolve(pages.(Dict)["Kids"])
	page, _ := d.Resolve(kids.(Array)[0])
	pageContent = page.(Dict)["Contents"].(Ref).Num
	e, ok := d.Entry(pageContent)
	require.True(t, ok)
	upd := appendRevision(t, signed, map[int]string{pageContent + 100: ""}, map[int]int64{pageContent: e.Offset + 1})
	d2, err := Open(bytes.NewReader(upd), int64(len(upd)), nil)
	require.NoError(t, err)
	revs = d2.Revisions()
	require.Len(t, revs, 3)
	assert.Equal(t, []int{pageContent}, revs[2].Repointed)
	assert.Equal(t, []int{pageContent + 100}, revs[2].Freed)
	_, err = d2.Object(pageContent)
	require.Error(t, err, "the re-pointed offset holds no object header")
	assert.True(t, errors.Is(err, ErrMalformed))
}

func TestDocumentHybridAndObjStm(t *testing.T) {
	for _, name := range []string{"hybrid.pdf", "objstm.pdf", "linearized.pdf", "aes128-objstm.pdf"} {
		t.Run(name, func(t *testing.T) {
			in := corpus(t, name)
			d, err := Open(bytes.NewReader(in), int64(len(in)), nil)
			require.NoError(t, err)
			require.NotEmpty(t, d.Revisions())
			_, cat, err := d.Catalog()
			require.NoError(t, err)
			assert.NotNil(t, cat["Pages"])
			if name == "hybrid.pdf" {
				found := false
				for _, r := range d.Revisions() {
					found = found || r.Hybrid > 0
				}
				assert.True(t, found, "the /XRefStm section is recorded")
			}
			for n := 1; n < d.NumObjects(); n++ {
				o, err := d.Object(n)
				require.NoError(t, err, "object %d", n)
				if s, ok := o.(*Stream); ok {
					_, err := d.Decode(s, Ref{Num: n})
					require.NoError(t, err, "stream %d", n)
				}
			}
		})
	}
}

func TestDocumentWrongPassword(t *testing.T) {
	in := corpus(t, "aes256-userpw.pdf")
	_, err := Open(bytes.NewReader(in), int64(len(in)), []byte("not the password"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrWrongPassword), "%v", err)
}

func TestDocumentMalformed(t *testing.T) {
	for _, in := range []string{"", "%PDF-1.7\n", "%PDF-1.7\nstartxref\n9\n%%EOF\n" + strings.Repeat(" ", 20)} {
		_, err := Open(strings.NewReader(in), int64(len(in)), nil)
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrMalformed), "%q: %v", in, err)
	}
}
