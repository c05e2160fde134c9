package pdf

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
)

// update collects the objects of one incremental update and serialises them
// after the original bytes, with a cross-reference section of the same form
// as the document's newest one.
type update struct {
	d    *document
	objs map[int]object
	next int
	// appearances are the widget appearances written so far, by what
	// they draw (see appearanceKey): widgets that show the same thing
	// share one.
	appearances map[string]sharedAppearance
}

type sharedAppearance struct {
	ref ref
	lay AppearanceLayout
}

func newUpdate(d *document) *update {
	return &update{d: d, objs: map[int]object{}, next: d.maxSize}
}

// alloc reserves a new object number.
func (u *update) alloc() ref {
	if u.next < 1 {
		u.next = 1
	}
	r := ref{Num: u.next}
	u.next++
	return r
}

// add stores o under a fresh object number.
func (u *update) add(o object) ref {
	r := u.alloc()
	u.objs[r.Num] = o
	return r
}

// set replaces (or defines) the object r. Existing objects keep their
// number and generation.
func (u *update) set(r ref, o object) { u.objs[r.Num] = o }

// get returns the current version of r: the updated one if any.
func (u *update) get(r ref) object {
	if o, ok := u.objs[r.Num]; ok {
		return o
	}
	return u.d.resolve(r)
}

func (u *update) gen(num int) int {
	if e, ok := u.d.xref[num]; ok && e.typ == 1 {
		return e.gen
	}
	return 0
}

// source returns the source text of the document's object num when the
// update rewrites an object of the document (nil for new objects).
func (u *update) source(num int) *source {
	if _, ok := u.d.xref[num]; !ok || u.d.resolve(ref{Num: num}) == nil {
		return nil
	}
	return u.d.source(num)
}

// setIfChanged is set, except that an object of the document equal to o
// is left alone (not rewritten in the update).
func (u *update) setIfChanged(r ref, o object) {
	if _, isNew := u.objs[r.Num]; !isNew && sameObject(o, u.d.resolve(r)) {
		return
	}
	u.set(r, o)
}

// serialized is the appended section with the positions of its holes
// relative to the start of the section.
type serialized struct {
	data        []byte
	contentsAt  int
	contentsLen int
}

// serialize writes the update as it will follow base bytes of original
// input. prefixNL adds a newline first (when the original does not end in
// one). ByteRange is filled in; /Contents stays zero.
func (u *update) serialize(base int64, prefixNL bool) (*serialized, error) {
	var buf bytes.Buffer
	if prefixNL {
		buf.WriteByte('\n')
	}
	nums := make([]int, 0, len(u.objs))
	for n := range u.objs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	offsets := map[int]int64{}
	out := &serialized{contentsAt: -1}
	byteRangeAt := -1
	for _, n := range nums {
		r := ref{Num: n, Gen: u.gen(n)}
		offsets[n] = base + int64(buf.Len())
		fmt.Fprintf(&buf, "%d %d obj\n", r.Num, r.Gen)
		s := &serializer{buf: &buf, contentsAt: -1, byteRangeAt: -1}
		sec := u.d.sec
		if sec != nil && sec.strM != cryptNone {
			s.encrypt = func(b []byte) ([]byte, error) { return sec.encrypt(r, sec.strM, b) }
		}
		o := u.objs[n]
		if st, ok := o.(*stream); ok {
			data := st.data
			if sec != nil {
				var err error
				if data, err = sec.encrypt(r, sec.stmM, data); err != nil {
					return nil, err
				}
			}
			hdr := st.hdr.clone()
			hdr["Length"] = int64(len(data))
			s.write(hdr)
			buf.WriteString("\nstream\n")
			buf.Write(data)
			buf.WriteString("\nendstream")
		} else if src := u.source(n); src != nil {
			s.writeEdited(o, src)
		} else {
			s.write(o)
		}
		if s.err != nil {
			return nil, fmt.Errorf("pdf: writing object %d: %w", n, s.err)
		}
		buf.WriteString("\nendobj\n")
		if s.contentsAt >= 0 {
			out.contentsAt, out.contentsLen = s.contentsAt, s.contentsLen
		}
		if s.byteRangeAt >= 0 {
			byteRangeAt = s.byteRangeAt
		}
	}
	size := int64(u.next)
	if int64(u.d.maxSize) > size {
		size = int64(u.d.maxSize)
	}
	trailer := dict{}
	for _, k := range []name{"Root", "Info", "ID", "Encrypt"} {
		if v, ok := u.d.trailer[k]; ok {
			trailer[k] = v
		}
	}
	trailer["Prev"] = u.d.startxref
	xrefAt := base + int64(buf.Len())
	if u.d.xrefForm == formStream {
		xr := ref{Num: int(size)}
		size++
		offsets[xr.Num] = xrefAt
		nums = append(nums, xr.Num)
		maxOff := xrefAt
		w := 1
		for v := maxOff; v > 0xff; v >>= 8 {
			w++
		}
		var data []byte
		var index array
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			index = append(index, int64(nums[i]), int64(j-i+1))
			for k := i; k <= j; k++ {
				data = append(data, 1)
				off := offsets[nums[k]]
				for b := w - 1; b >= 0; b-- {
					data = append(data, byte(off>>(8*b)))
				}
				g := u.gen(nums[k])
				data = append(data, byte(g>>8), byte(g))
			}
			i = j + 1
		}
		trailer["Type"] = name("XRef")
		trailer["Size"] = size
		trailer["Index"] = index
		trailer["W"] = array{int64(1), int64(w), int64(2)}
		trailer["Length"] = int64(len(data))
		fmt.Fprintf(&buf, "%d 0 obj\n", xr.Num)
		(&serializer{buf: &buf}).write(trailer)
		buf.WriteString("\nstream\n")
		buf.Write(data)
		buf.WriteString("\nendstream\nendobj\n")
	} else {
		buf.WriteString("xref\n")
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			fmt.Fprintf(&buf, "%d %d\n", nums[i], j-i+1)
			for k := i; k <= j; k++ {
				fmt.Fprintf(&buf, "%010d %05d n\r\n", offsets[nums[k]], u.gen(nums[k]))
			}
			i = j + 1
		}
		trailer["Size"] = size
		buf.WriteString("trailer\n")
		(&serializer{buf: &buf}).write(trailer)
		buf.WriteString("\n")
	}
	buf.WriteString("startxref\n" + strconv.FormatInt(xrefAt, 10) + "\n%%EOF\n")
	out.data = buf.Bytes()
	if out.contentsAt >= 0 && byteRangeAt >= 0 {
		total := base + int64(len(out.data))
		a := base + int64(out.contentsAt)
		b := a + int64(out.contentsLen)
		br := fmt.Sprintf("[0 %d %d %d]", a, b, total-b)
		if len(br) > byteRangeWidth {
			return nil, fmt.Errorf("%w: file too large for the /ByteRange placeholder", ErrUnsupported)
		}
		copy(out.data[byteRangeAt:], br)
	}
	return out, nil
}
