package pkcs11

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// ArchError reports a module built for another architecture than the running
// process: most often a 32-bit vendor DLL (from SysWOW64) that a 64-bit
// program cannot load. It matches ErrWrongArchitecture.
type ArchError struct {
	Path    string // the library
	Library string // what the library was built for, e.g. "386 (32-bit)"
	Process string // what this process is, e.g. "amd64 (64-bit)"
}

// Error names the library and both architectures, with a hint for the
// usual case of a 32-bit DLL in a 64-bit program.
func (e *ArchError) Error() string {
	msg := fmt.Sprintf("pkcs11: %s is built for %s but this process is %s", e.Path, e.Library, e.Process)
	if strings.Contains(e.Library, "32-bit") && strings.Contains(e.Process, "64-bit") {
		msg += "; a 64-bit program needs the vendor's 64-bit module (often named *_x64.dll or found in System32, not SysWOW64)"
	}
	return msg
}

// Unwrap returns ErrWrongArchitecture.
func (e *ArchError) Unwrap() error { return ErrWrongArchitecture }

// errNotExecutable is returned by libArch for a file that is neither ELF, PE
// nor Mach-O.
var errNotExecutable = errors.New("not an ELF, PE or Mach-O library")

// goArchName describes a GOARCH with its word size.
func goArchName(goarch string) string {
	if strings.Contains(goarch, " ") { // already a description
		return goarch
	}
	switch goarch {
	case "386", "arm", "mips", "mipsle", "ppc":
		return goarch + " (32-bit)"
	default:
		return goarch + " (64-bit)"
	}
}

// CheckArchitecture reads the header of the library at path (ELF, PE or
// Mach-O, including universal Mach-O files) and returns an *ArchError when
// this process cannot load it because it was built for another CPU or word
// size. A file in none of those formats yields an error wrapping
// ErrModuleLoad; an unreadable file yields the os error.
func CheckArchitecture(path string) error {
	archs, err := libArchs(path)
	if err != nil {
		if errors.Is(err, errNotExecutable) {
			return fmt.Errorf("%w: %s: %w", ErrModuleLoad, path, err)
		}
		return err
	}
	for _, a := range archs {
		if a == runtime.GOARCH {
			return nil
		}
	}
	names := make([]string, len(archs))
	for i, a := range archs {
		names[i] = goArchName(a)
	}
	return &ArchError{Path: path, Library: strings.Join(names, ", "), Process: goArchName(runtime.GOARCH)}
}

// libArchs returns the GOARCH names a library was built for (one, or several
// for a universal Mach-O file).
func libArchs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return libArchsFrom(f)
}

// libArchsFrom reads the header of a library.
func libArchsFrom(f io.ReaderAt) ([]string, error) {
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("%w (file shorter than 4 bytes)", errNotExecutable)
	}
	switch {
	case string(magic[:]) == elf.ELFMAG:
		ef, err := elf.NewFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: ELF header: %v", errNotExecutable, err)
		}
		return []string{elfArch(ef)}, nil
	case magic[0] == 'M' && magic[1] == 'Z':
		pf, err := pe.NewFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: PE header: %v", errNotExecutable, err)
		}
		return []string{peArch(pf.Machine)}, nil
	case isMachO(magic):
		if mf, err := macho.NewFatFile(f); err == nil {
			var archs []string
			for _, a := range mf.Arches {
				archs = append(archs, machoArch(a.Cpu))
			}
			return archs, nil
		}
		mf, err := macho.NewFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: Mach-O header: %v", errNotExecutable, err)
		}
		return []string{machoArch(mf.Cpu)}, nil
	}
	return nil, errNotExecutable
}

func isMachO(m [4]byte) bool {
	be := uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
	le := uint32(m[3])<<24 | uint32(m[2])<<16 | uint32(m[1])<<8 | uint32(m[0])
	for _, v := range []uint32{macho.Magic32, macho.Magic64, macho.MagicFat} {
		if be == v || le == v {
			return true
		}
	}
	return false
}

func elfArch(f *elf.File) string {
	switch f.Machine {
	case elf.EM_386:
		return "386"
	case elf.EM_X86_64:
		if f.Class == elf.ELFCLASS32 {
			return "amd64p32"
		}
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_PPC64:
		if f.ByteOrder.String() == "LittleEndian" {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_RISCV:
		return "riscv64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_LOONGARCH:
		return "loong64"
	case elf.EM_MIPS:
		if f.Class == elf.ELFCLASS64 {
			return "mips64"
		}
		return "mips"
	}
	bits := "32-bit"
	if f.Class == elf.ELFCLASS64 {
		bits = "64-bit"
	}
	return fmt.Sprintf("ELF machine %v, %s", f.Machine, bits)
}

func peArch(m uint16) string {
	switch m {
	case pe.IMAGE_FILE_MACHINE_I386:
		return "386"
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "amd64"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64"
	case pe.IMAGE_FILE_MACHINE_ARMNT, pe.IMAGE_FILE_MACHINE_ARM:
		return "arm"
	}
	return fmt.Sprintf("PE machine %#x", m)
}

func machoArch(c macho.Cpu) string {
	switch c {
	case macho.Cpu386:
		return "386"
	case macho.CpuAmd64:
		return "amd64"
	case macho.CpuArm64:
		return "arm64"
	case macho.CpuArm:
		return "arm"
	}
	return fmt.Sprintf("Mach-O CPU %v", c)
}
