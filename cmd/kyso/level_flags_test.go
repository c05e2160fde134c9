package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The level flags of sign pdf, sign file and sign xml read a level the way
// pdf.ParseLevel, cades.ParseLevel and xml.ParseLevel do (any case, "B-"
// optional) and then judge the parsed level: "b-b" is B-B and takes no
// --tsa, "lt" is B-LT and needs one. (sign file told "--level b-b needs
// --tsa URL", and with a --tsa made a time-stamped signature; sign pdf
// refused "b-t" that sign xml --xades accepts.)
func TestLevelFlagsParsed(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(in, []byte("hi\n"), 0o644))
	noPass := "--p12 needs the password"
	tsa := "http://127.0.0.1:1/tsa"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sign", "file", in, filepath.Join(dir, "a.p7s"), "--level", "b-b"}, noPass},
		{[]string{"sign", "file", in, filepath.Join(dir, "a.p7s"), "--level", "b"}, noPass},
		{[]string{"sign", "file", in, filepath.Join(dir, "a.p7s"), "--level", "b-b", "--tsa", tsa}, "--level B-B takes no --tsa"},
		{[]string{"sign", "file", in, filepath.Join(dir, "a.p7s"), "--level", "lt"}, "--level B-LT needs --tsa URL"},
		{[]string{"sign", "file", in, filepath.Join(dir, "a.p7s"), "--level", "b-t", "--tsa", tsa}, noPass},
		{[]string{"sign", "file", in, filepath.Join(dir, "a.p7s"), "--level", "B-LTA", "--tsa", tsa}, `--level "B-LTA": want B-B, B-T or B-LT`},
		{[]string{"sign", "pdf", in, filepath.Join(dir, "a.pdf"), "--level", "b-t"}, "--level B-T needs --tsa URL"},
		{[]string{"sign", "pdf", in, filepath.Join(dir, "a.pdf"), "--level", "bb", "--tsa", tsa}, `--level "bb": want B-B, B-T, B-LT or B-LTA`},
		{[]string{"sign", "pdf", in, filepath.Join(dir, "a.pdf"), "--level", "b-b", "--tsa", tsa}, "--level B-B takes no --tsa"},
		{[]string{"sign", "pdf", in, filepath.Join(dir, "a.pdf"), "--level", "lta"}, "--level B-LTA needs --tsa URL"},
		{[]string{"sign", "pdf", in, filepath.Join(dir, "a.pdf"), "--level", "b-lt", "--tsa", tsa}, noPass},
		{[]string{"sign", "pdf", in, filepath.Join(dir, "a.pdf"), "--level", "b-t", "--vri", "--tsa", tsa}, "--vri needs --level B-LT or B-LTA"},
		{[]string{"sign", "xml", in, filepath.Join(dir, "a.xml"), "--xades", "b-t"}, "--xades B-T needs --tsa URL"},
		{[]string{"sign", "xml", in, filepath.Join(dir, "a.xml"), "--xades", "none", "--tsa", tsa}, "--tsa needs --xades B-T"},
	} {
		r := kyso(t, nil, "", append(c.args, "--p12", filepath.Join(dir, "none.p12"))...)
		assert.Equal(t, 2, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
	}
}
