package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// "kyso version": the module version the binary was built from (a tag with
// go install ...@vX.Y.Z, a pseudo-version or "(devel)" in a clone), the VCS
// revision when the build recorded one, and the Go version.

func (e *env) version(args []string) (int, error) {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return 0, helpFor(fs, e.stdout, "kyso version", err)
	}
	if len(pos) != 0 {
		return 0, usagef("version: unexpected argument %q", pos[0])
	}
	fmt.Fprintln(e.stdout, versionLine())
	return exitOK, nil
}

// versionLine is "kyso VERSION (MODULE[, commit REV[, modified]]; GO OS/ARCH)".
func versionLine() string {
	mod, ver := "github.com/kyso-vn/kyso", "(unknown)"
	var rev, modified string
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path != "" {
			mod = bi.Main.Path
		}
		if bi.Main.Version != "" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	detail := mod
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		detail += ", commit " + rev
		if modified == "true" {
			detail += ", modified"
		}
	}
	return fmt.Sprintf("kyso %s (%s; %s %s/%s)", ver, detail, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
