package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Flag parsing shared by every command.

// parse parses flags that may come before, between or after the
// positional arguments (the standard flag package stops at the first
// positional argument) and returns the positional arguments. "--" ends the
// flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{flagErr(err)}
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// helpFor prints fs's flags to w when err is flag.ErrHelp, spelt with two
// dashes as the documentation writes them (one dash works too).
func helpFor(fs *flag.FlagSet, w io.Writer, synopsis string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(w, "Usage: %s\n", synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(w, "\nFlags:\n")
		}
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if name != "" {
				line += " " + name
			}
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
				if name == "string" {
					usage += fmt.Sprintf(" (default %q)", f.DefValue)
				} else {
					usage += " (default " + f.DefValue + ")"
				}
			}
			fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		})
		if x := exitHelp(synopsis); x != "" {
			fmt.Fprintf(w, "\n%s", x)
		}
	}
	return err
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// flagErr spells the flag in the flag package's errors with two dashes, as
// the help and the documentation write it.
func flagErr(err error) error {
	msg := err.Error()
	for _, p := range []string{"not defined: -", "needs an argument: -", "for flag -", " for -"} {
		msg = strings.Replace(msg, p, p+"-", 1)
	}
	msg = strings.Replace(msg, "flag provided but not defined: ", "unknown flag ", 1)
	return errors.New(msg)
}

// inOut parses the flags and positional arguments of a sign command
// (synopsis for its help, cmd and outName for its usage error): IN and
// OUT, or with --out-dir any number of inputs. It returns the positional
// arguments and, for one document, IN and OUT, after checking that OUT may
// be written.
func (e *env) inOut(fs *flag.FlagSet, k *keyFlags, args []string, synopsis, cmd, outName string) (pos []string, in, out string, err error) {
	pos, err = parse(fs, args)
	if err != nil {
		return nil, "", "", helpFor(fs, e.stdout, synopsis, err)
	}
	if len(pos) != 2 && k.outDir == "" {
		return nil, "", "", usagef("%s: want IN and %s (or IN... --out-dir DIR), got %d arguments", cmd, outName, len(pos))
	}
	in, out = batchArgs(pos, k.outDir)
	if err := checkOutput(out, k.force); err != nil {
		return nil, "", "", err
	}
	if err := checkURLFlag(fs, "tsa"); err != nil {
		return nil, "", "", err
	}
	inputs := pos
	if k.outDir == "" {
		inputs = pos[:1]
	}
	if err := checkInputs(inputs...); err != nil {
		return nil, "", "", err
	}
	return pos, in, out, nil
}
