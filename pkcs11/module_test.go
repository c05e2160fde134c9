package pkcs11

import (
	"encoding/binary"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	p11 "github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

func registered(path string) (*library, bool) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	l, ok := registry.libs[path]
	return l, ok
}

func TestModuleRegistryInitialisesOncePerProcess(t *testing.T) {
	f := setup(t)
	// A symbolic link to the same library is the same module.
	link := filepath.Join(t.TempDir(), "vendor-p11.so")
	require.NoError(t, os.Symlink(f.module, link))

	m1, err := Open(f.module)
	require.NoError(t, err)
	m2, err := Open(link)
	require.NoError(t, err)
	require.Same(t, m1.lib, m2.lib, "one loaded copy per library")
	assert.Equal(t, m1.Path(), m2.Path())
	lib, ok := registered(m1.Path())
	require.True(t, ok)
	assert.Equal(t, 2, lib.refs)
	assert.True(t, lib.ownsInit, "kyso called C_Initialize, so it finalises")

	// A second C_Initialize from elsewhere in the process is refused by the
	// module itself: proof that it is initialised exactly once.
	raw := p11.New(f.module)
	require.NotNil(t, raw)
	assert.Equal(t, p11.Error(p11.CKR_CRYPTOKI_ALREADY_INITIALIZED), raw.Initialize())
	raw.Destroy()

	tok, err := m2.OpenToken(TokenSpec{Label: "kyso-main"}, Options{})
	require.NoError(t, err)
	require.NoError(t, m1.Close())
	require.NoError(t, m1.Close(), "Close is idempotent")
	_, err = m1.Slots()
	require.ErrorIs(t, err, ErrClosed)
	_, err = m1.OpenToken(TokenSpec{Label: "kyso-main"}, Options{})
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, m2.Close())
	// The open token keeps the module initialised.
	_, ok = registered(lib.path)
	require.True(t, ok)
	_, err = tok.Certificates(t.Context())
	require.NoError(t, err)
	require.NoError(t, tok.Close())
	_, ok = registered(lib.path)
	require.False(t, ok, "finalised and unloaded after the last close")

	// Opening again initialises again.
	m3, err := Open(f.module)
	require.NoError(t, err)
	defer m3.Close()
	ts, err := m3.Tokens()
	require.NoError(t, err)
	assert.NotEmpty(t, ts)
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing.so"))
	require.ErrorIs(t, err, fs.ErrNotExist)

	_, err = Open("")
	require.ErrorIs(t, err, ErrModuleLoad)

	txt := filepath.Join(t.TempDir(), "not-a-library.so")
	require.NoError(t, os.WriteFile(txt, []byte("this is not a shared object\n"), 0o644))
	_, err = Open(txt)
	require.ErrorIs(t, err, ErrModuleLoad)

	// A 32-bit library is reported as such instead of a loader failure.
	lib32 := filepath.Join(t.TempDir(), "vnptca_p11_v8.so")
	require.NoError(t, os.WriteFile(lib32, elfHeader(t, 32, 3 /* EM_386 */), 0o644))
	_, err = Open(lib32)
	if runtime.GOARCH != "386" {
		var ae *ArchError
		require.ErrorAs(t, err, &ae)
		require.ErrorIs(t, err, ErrWrongArchitecture)
		assert.Contains(t, err.Error(), "32-bit")
	}
}

func TestListSlotsAndTokens(t *testing.T) {
	f, m := openModuleTB(t)
	info, err := m.Info()
	require.NoError(t, err)
	assert.Equal(t, "SoftHSM", info.Manufacturer)
	assert.NotEmpty(t, info.CryptokiVersion)

	slots, err := m.Slots()
	require.NoError(t, err)
	labels := map[string]int{}
	free := 0
	for _, s := range slots {
		require.True(t, s.TokenPresent)
		require.NotNil(t, s.Token, "slot %d: %v", s.ID, s.TokenErr)
		if !s.Token.Initialized() {
			free++
			continue
		}
		labels[s.Token.Label]++
		assert.Equal(t, "SoftHSM project", s.Token.Manufacturer)
		assert.Equal(t, "SoftHSM v2", s.Token.Model)
		assert.Len(t, s.Token.Serial, 16)
		assert.True(t, s.Token.LoginRequired())
		assert.False(t, s.Token.ProtectedAuthPath())
		assert.Equal(t, s.ID, s.Token.Slot)
	}
	assert.Equal(t, 1, free, "SoftHSM keeps one free slot")
	assert.Equal(t, 2, labels["twin"])
	assert.Equal(t, 1, labels["kyso-main"])
	// The Vietnamese label comes back byte for byte (NFC), without padding.
	assert.Equal(t, 1, labels[viLabel])
	assert.True(t, norm.NFC.IsNormalString(viLabel))
	_ = f
}

func TestSelectToken(t *testing.T) {
	f, m := openModuleTB(t)
	ts, err := m.Tokens()
	require.NoError(t, err)
	var twins []TokenInfo
	for _, ti := range ts {
		if ti.Label == "twin" {
			twins = append(twins, ti)
		}
	}
	require.Len(t, twins, 2)

	open := func(spec TokenSpec) (*Token, error) {
		tok, err := m.OpenToken(spec, Options{})
		if err == nil {
			t.Cleanup(func() { tok.Close() })
		}
		return tok, err
	}
	tok, err := open(TokenSpec{Label: "kyso-main"})
	require.NoError(t, err)
	assert.Equal(t, f.slots["kyso-main"], tok.Info().Slot)
	main := tok.Info()

	tok, err = open(TokenSpec{Serial: main.Serial})
	require.NoError(t, err)
	assert.Equal(t, "kyso-main", tok.Info().Label)

	tok, err = open(TokenSpec{Slot: SlotID(main.Slot)})
	require.NoError(t, err)
	assert.Equal(t, main.Serial, tok.Info().Serial)

	// Serial given with the padding and NUL a careless caller copies.
	tok, err = open(TokenSpec{Serial: main.Serial + "\x00  "})
	require.NoError(t, err)
	assert.Equal(t, main.Slot, tok.Info().Slot)

	// A Vietnamese label typed in decomposed form (NFD) still matches.
	tok, err = open(TokenSpec{Label: norm.NFD.String(viLabel)})
	require.NoError(t, err)
	assert.Equal(t, viLabel, tok.Info().Label)

	// Two tokens with one label: an error naming both, not a guess.
	_, err = open(TokenSpec{Label: "twin"})
	require.ErrorIs(t, err, ErrAmbiguousToken)
	assert.Contains(t, err.Error(), twins[0].Serial)
	assert.Contains(t, err.Error(), twins[1].Serial)
	tok, err = open(TokenSpec{Label: "twin", Serial: twins[1].Serial})
	require.NoError(t, err)
	assert.Equal(t, twins[1].Slot, tok.Info().Slot)

	_, err = open(TokenSpec{})
	require.ErrorIs(t, err, ErrAmbiguousToken)
	_, err = open(TokenSpec{Label: "kyso-main", Serial: twins[0].Serial})
	require.ErrorIs(t, err, ErrTokenNotFound)
	_, err = open(TokenSpec{Label: "không có"})
	require.ErrorIs(t, err, ErrTokenNotFound)
	assert.Contains(t, err.Error(), "kyso-main", "the error lists the present tokens")
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"kyso-main                       ":          "kyso-main",
		"VNPT-CA\x00\x00\x00\x00\x00\x00":           "VNPT-CA",
		"VNPT-CA\x00garbage after the terminator":   "VNPT-CA",
		"Viettel-CA  \x00\x00":                      "Viettel-CA",
		viLabel + "       ":                         viLabel,
		norm.NFD.String(viLabel):                    viLabel,
		"Nguy\xe1\xbb":                              "Nguy", // ễ cut by the 32-byte field
		"Tr\xe1\xba\xa7n \xc3":                      "Trần",
		"bad \xff byte":                             "bad \uFFFD byte",
		"":                                          "",
		"\x00\x00":                                  "",
		"ASCII exactly thirty-two bytes!!":          "ASCII exactly thirty-two bytes!!",
		"Ch\xe1\xbb\xaf k\xc3\xbd s\xe1\xbb\x91   ": "Chữ ký số",
	} {
		assert.Equal(t, want, cleanText(in), "%q", in)
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"kyso   ", "a\x00b", viLabel, "Nguy\xe1\xbb", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := cleanText(s)
		if !norm.NFC.IsNormalString(out) {
			t.Fatalf("not NFC: %q", out)
		}
		if len(out) > 0 && out[len(out)-1] == ' ' {
			t.Fatalf("trailing space: %q", out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] == 0 {
				t.Fatalf("NUL kept: %q", out)
			}
		}
		if cleanText(out) != out {
			t.Fatalf("not idempotent: %q", out)
		}
	})
}

// elfHeader builds a minimal ELF header (no sections) of the given class
// and machine.
func elfHeader(t testing.TB, bits int, machine uint16) []byte {
	t.Helper()
	var b []byte
	if bits == 32 {
		b = make([]byte, 52)
		b[4] = 1                                  // ELFCLASS32
		binary.LittleEndian.PutUint16(b[40:], 52) // e_ehsize
	} else {
		b = make([]byte, 64)
		b[4] = 2 // ELFCLASS64
		binary.LittleEndian.PutUint16(b[52:], 64)
	}
	copy(b, "\x7fELF")
	b[5] = 1                                 // little endian
	b[6] = 1                                 // EV_CURRENT
	binary.LittleEndian.PutUint16(b[16:], 3) // ET_DYN
	binary.LittleEndian.PutUint16(b[18:], machine)
	binary.LittleEndian.PutUint32(b[20:], 1)
	return b
}

// peHeader builds a minimal PE image header for machine (0x14c i386,
// 0x8664 amd64).
func peHeader(machine uint16) []byte {
	b := make([]byte, 1024) // room for the reads debug/pe makes past the headers
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x40)
	copy(b[0x40:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x44:], machine)
	return b
}

// machoHeader builds a minimal 64-bit Mach-O header for cpu.
func machoHeader(cpu uint32) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint32(b[0:], 0xfeedfacf)
	binary.LittleEndian.PutUint32(b[4:], cpu)
	binary.LittleEndian.PutUint32(b[12:], 6) // MH_DYLIB
	return b
}

func TestCheckArchitecture(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	native := map[string]struct {
		elf   uint16
		pe    uint16
		macho uint32
	}{
		"amd64": {62, 0x8664, 0x01000007},
		"arm64": {183, 0xaa64, 0x0100000c},
	}[runtime.GOARCH]
	if native.elf == 0 {
		t.Skipf("no header table for GOARCH %s", runtime.GOARCH)
	}
	cases := []struct {
		name  string
		data  []byte
		wrong bool
	}{
		{"native.so", elfHeader(t, 64, native.elf), false},
		{"x86.so", elfHeader(t, 32, 3), true},
		{"native.dll", peHeader(native.pe), false},
		{"vnptca_p11_v8.dll", peHeader(0x14c), true},
		{"native.dylib", machoHeader(native.macho), false},
		{"other.dylib", machoHeader(map[bool]uint32{true: 0x0100000c, false: 0x01000007}[runtime.GOARCH == "amd64"]), true},
	}
	for _, c := range cases {
		err := CheckArchitecture(write(c.name, c.data))
		if c.wrong {
			var ae *ArchError
			require.ErrorAs(t, err, &ae, c.name)
			assert.ErrorIs(t, err, ErrWrongArchitecture)
		} else {
			require.NoError(t, err, c.name)
		}
	}
	err := CheckArchitecture(write("vnptca_p11_v8.dll", peHeader(0x14c)))
	if runtime.GOARCH == "amd64" {
		assert.Contains(t, err.Error(), "386 (32-bit)")
		assert.Contains(t, err.Error(), "amd64 (64-bit)")
		assert.Contains(t, err.Error(), "64-bit module")
	}
	require.ErrorIs(t, CheckArchitecture(write("junk.dll", []byte("MZ but nothing else"))), ErrModuleLoad)
	require.ErrorIs(t, CheckArchitecture(write("empty.so", nil)), ErrModuleLoad)
	require.ErrorIs(t, CheckArchitecture(filepath.Join(dir, "absent.so")), fs.ErrNotExist)

	// The real SoftHSM2 library on this machine.
	f := setup(t)
	require.NoError(t, CheckArchitecture(f.module))
}

func FuzzLibArch(f *testing.F) {
	f.Add(elfHeader(f, 64, 62))
	f.Add(elfHeader(f, 32, 3))
	f.Add(peHeader(0x14c))
	f.Add(peHeader(0x8664))
	f.Add(machoHeader(0x01000007))
	f.Add([]byte("MZ"))
	f.Add([]byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		archs, err := libArchsFrom(bytesReaderAt(b))
		if err == nil && len(archs) == 0 {
			t.Fatal("no architecture and no error")
		}
	})
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "vnptca_p11_v8.dll"), peHeader(0x14c), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "viettel-ca_v2_s.x64.dll"), peHeader(0x8664), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "unrelated.dll"), peHeader(0x8664), 0o644))

	found := Discover(DiscoverOptions{GOOS: "windows", Dirs: []string{dir}})
	byName := map[string]Candidate{}
	for _, c := range found {
		byName[filepath.Base(c.Path)] = c
	}
	require.Len(t, found, 2, "only names on the probe list")
	assert.Equal(t, "VNPT-CA", byName["vnptca_p11_v8.dll"].Vendor)
	assert.Equal(t, "Viettel-CA", byName["viettel-ca_v2_s.x64.dll"].Vendor)
	if runtime.GOARCH == "amd64" {
		assert.ErrorIs(t, byName["vnptca_p11_v8.dll"].Err, ErrWrongArchitecture)
		assert.NoError(t, byName["viettel-ca_v2_s.x64.dll"].Err)
	}

	// On this Linux machine, SoftHSM2 is found in its real directory.
	fx := setup(t)
	found = Discover(DiscoverOptions{GOOS: "linux", Dirs: []string{filepath.Dir(fx.module)}})
	require.Len(t, found, 1)
	assert.Equal(t, "SoftHSM", found[0].Vendor)
	assert.NoError(t, found[0].Err)

	assert.NotEmpty(t, DefaultDirs("windows"))
	assert.Contains(t, DefaultDirs("windows")[1], "SysWOW64")
	assert.NotEmpty(t, DefaultDirs("darwin"))
	assert.NotEmpty(t, DefaultDirs("linux"))
	for _, v := range DefaultVendors() {
		assert.NotEmpty(t, v.Name)
	}
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
