package pkcs11

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// Vendor lists the module file names a CA's token middleware is known to
// install, per operating system.
//
// The Vietnamese names come from public plugin and client code that probes
// these libraries in a loop (the BkavCA plugin sample, a VNPT-CA plugin
// client's driver list, a Viettel plugin's library lists); they are not
// vendor documentation, and vendors rename their modules between releases.
// Windows names are looked up in System32 (and SysWOW64, where only 32-bit
// builds live: those are reported as such, see [ArchError]).
type Vendor struct {
	Name    string   // the CA or middleware, e.g. "VNPT-CA"
	Windows []string // DLL names, looked up in System32 (and SysWOW64)
	MacOS   []string // .dylib paths or names
	Linux   []string // .so paths or names
}

// DefaultVendors returns the probe list [Discover] uses when
// [DiscoverOptions.Vendors] is nil. Each call returns a new copy, which the
// caller may extend and pass as DiscoverOptions.Vendors.
func DefaultVendors() []Vendor {
	out := make([]Vendor, len(vendors))
	for i, v := range vendors {
		out[i] = Vendor{Name: v.Name, Windows: slices.Clone(v.Windows),
			MacOS: slices.Clone(v.MacOS), Linux: slices.Clone(v.Linux)}
	}
	return out
}

// vendors is the table DefaultVendors copies; it is never changed.
var vendors = []Vendor{
	{Name: "VNPT-CA", Windows: []string{
		"vnpt-ca_csp11.dll", "VNPT-CA_v34.dll",
		"vnptca_p11_v5.dll", "vnptca_p11_v6.dll", "vnptca_p11_v7.dll", "vnptca_p11_v8.dll",
		"vnptca_p11_v81.dll", "vnptca_p11_v9.dll", "vnptca_p11_v10.dll",
		"vnptcav2_p11_v8.dll", "vnpt-ca_cl_v1.dll", "VNPTCACardv8csp11.dll", "gclib.dll",
	}},
	{Name: "Viettel-CA", Windows: []string{
		"viettel-ca.dll", "viettel-ca_v1.dll", "viettel-ca_v2.dll", "viettel-ca_v3.dll",
		"viettel-ca_v4.dll", "viettel-ca_v5.dll", "viettel-ca_v6.dll", "viettel-ca_v2_s.x64.dll",
	}, MacOS: []string{"viettel-ca_v6.dylib", "viettel-ca_v5.dylib", "viettel-ca_v4.dylib"}},
	{Name: "BKAV-CA", Windows: []string{
		"BkavCA.dll", "BkavCAv2S.dll", "bkavcaetoken.dll", "bkavcaetoken_p11.dll", "st3csp11.dll",
	}},
	{Name: "FPT-CA", Windows: []string{"fpt-ca.dll", "fpt-ca-stx.dll", "fptca_v3.dll"}},
	{Name: "Nacencomm CA2 / NCCA", Windows: []string{
		"CA2_csp11.dll", "CA2_v34.dll", "ca2_ace_csp11.dll", "ShuttleCsp11_3003.dll", "ncca_csp11_v1.dll",
	}},
	// Bit4id's universal middleware, which the Government CA (Ban Cơ yếu
	// Chính phủ) tokens use.
	{Name: "Ban Cơ yếu Chính phủ (Bit4id)", Windows: []string{"bit4xpki.dll"},
		Linux: []string{"libbit4xpki.so"}, MacOS: []string{"libbit4xpki.dylib"}},
	{Name: "Other Vietnamese CAs", Windows: []string{
		"safe-ca.dll", "safe-ca_v2.dll", "Vina-CA.dll", "NEWTEL-CA.dll", "nca_v4.dll", "nca_v6.dll",
	}},
	{Name: "Token OEMs", Windows: []string{
		"eTPKCS11.dll", "eps2003csp11.dll", "wdpkcs.dll", "ngp11v211.dll", "psapkcs.dll", "ostc1_csp11.dll",
	}, Linux: []string{"libeTPkcs11.so"}, MacOS: []string{"libeTPkcs11.dylib"}},
	{Name: "OpenSC", Windows: []string{"opensc-pkcs11.dll"},
		Linux: []string{"opensc-pkcs11.so"}, MacOS: []string{"opensc-pkcs11.so"}},
	{Name: "SoftHSM", Windows: []string{"softhsm2-x64.dll", "softhsm2.dll"},
		Linux: []string{"libsofthsm2.so"}, MacOS: []string{"libsofthsm2.so"}},
}

// DefaultDirs returns where modules are usually installed on goos.
func DefaultDirs(goos string) []string {
	switch goos {
	case "windows":
		root := os.Getenv("SystemRoot")
		if root == "" {
			root = `C:\Windows`
		}
		return []string{filepath.Join(root, "System32"), filepath.Join(root, "SysWOW64")}
	case "darwin":
		return []string{"/usr/local/lib", "/opt/homebrew/lib", "/Library/OpenSC/lib",
			"/usr/local/lib/softhsm", "/opt/homebrew/lib/softhsm"}
	default:
		return []string{"/usr/lib/x86_64-linux-gnu/pkcs11", "/usr/lib/x86_64-linux-gnu",
			"/usr/lib/aarch64-linux-gnu/pkcs11", "/usr/lib/aarch64-linux-gnu",
			"/usr/lib/softhsm", "/usr/lib64/pkcs11", "/usr/lib64", "/usr/lib/pkcs11",
			"/usr/lib", "/usr/local/lib", "/usr/local/lib/softhsm"}
	}
}

// Candidate is a module file found by Discover.
type Candidate struct {
	Vendor string // Vendor.Name
	Path   string // the module file found
	// Err is nil when this process can load the module's architecture; an
	// *ArchError (errors.Is ErrWrongArchitecture) for a 32-bit library seen
	// from a 64-bit process, or another reason it cannot be loaded.
	Err error
}

// DiscoverOptions tune Discover. The zero value probes the running OS's
// default directories.
type DiscoverOptions struct {
	GOOS    string   // "" = runtime.GOOS; chooses the name list and default dirs
	Dirs    []string // nil = DefaultDirs(GOOS)
	Vendors []Vendor // nil = DefaultVendors()
}

// Discover looks for the modules of [DiscoverOptions.Vendors] and reports each file found,
// with whether this process can load it. It only reads file headers: no
// module is loaded. Nothing in kyso probes on its own; call Discover when
// the user asks to find their token's module.
func Discover(opts DiscoverOptions) []Candidate {
	goos := opts.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	dirs := opts.Dirs
	if dirs == nil {
		dirs = DefaultDirs(goos)
	}
	vs := opts.Vendors
	if vs == nil {
		vs = vendors
	}
	var out []Candidate
	seen := map[string]bool{}
	for _, v := range vs {
		var names []string
		switch goos {
		case "windows":
			names = v.Windows
		case "darwin":
			names = v.MacOS
		default:
			names = v.Linux
		}
		for _, dir := range dirs {
			for _, n := range names {
				p := filepath.Join(dir, n)
				st, err := os.Stat(p)
				if errors.Is(err, fs.ErrNotExist) || (err == nil && st.IsDir()) {
					continue
				}
				key := p
				if r, err := filepath.EvalSymlinks(p); err == nil {
					key = r
				}
				if seen[key] {
					continue
				}
				seen[key] = true
				if err == nil {
					err = CheckArchitecture(p)
				}
				out = append(out, Candidate{Vendor: v.Name, Path: p, Err: err})
			}
		}
	}
	return out
}
