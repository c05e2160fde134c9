package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/kyso-vn/kyso/pkcs11"
)

func (e *env) tokens(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("tokens", flag.ContinueOnError)
	module := fs.String("pkcs11", "", "PKCS#11 module (USB token middleware library)")
	pos, err := parse(fs, args)
	if err != nil {
		return 0, helpFor(fs, e.stdout, "kyso tokens --pkcs11 MODULE", err)
	}
	if len(pos) != 0 {
		return 0, usagef("tokens: unexpected argument %q", pos[0])
	}
	if *module == "" {
		return 0, usagef("tokens: give --pkcs11 MODULE")
	}
	mod, err := pkcs11.Open(*module)
	if err != nil {
		return 0, inputErr(err)
	}
	defer mod.Close()
	if info, err := mod.Info(); err == nil {
		fmt.Fprintf(e.stdout, "Module %s: %s, %s (Cryptoki %s, library %s)\n", mod.Path(), info.Manufacturer, info.Description, info.CryptokiVersion, info.LibraryVersion)
	}
	slots, err := mod.Slots()
	if err != nil {
		return 0, err
	}
	if len(slots) == 0 {
		fmt.Fprintln(e.stdout, "No slots.")
	}
	for _, s := range slots {
		switch {
		case s.Token != nil:
			t := s.Token
			fmt.Fprintf(e.stdout, "Slot %d: token %q serial %s (%s %s)\n", s.ID, t.Label, t.Serial, t.Manufacturer, t.Model)
			if !t.Initialized() {
				fmt.Fprintln(e.stdout, "  not initialised")
				continue
			}
			if t.PINLocked() {
				fmt.Fprintln(e.stdout, "  PIN locked")
			}
			tok, err := mod.OpenToken(pkcs11.TokenSpec{Slot: pkcs11.SlotID(s.ID)}, pkcs11.Options{})
			if err != nil {
				fmt.Fprintf(e.stdout, "  cannot open: %v\n", err)
				continue
			}
			certs, err := tok.Certificates(ctx)
			tok.Close()
			if err != nil {
				fmt.Fprintf(e.stdout, "  cannot list certificates: %v\n", err)
				continue
			}
			if len(certs) == 0 {
				fmt.Fprintln(e.stdout, "  no public certificates (they may need a login)")
			}
			for _, c := range certs {
				fmt.Fprintf(e.stdout, "  %s\n", c)
				for _, l := range append(holderLines(c.Cert), fmt.Sprintf("Label %q, CKA_ID %X", c.Label, c.ID)) {
					fmt.Fprintf(e.stdout, "    %s\n", l)
				}
				fmt.Fprintf(e.stdout, "    SHA-256 %X\n", c.SHA256)
			}
		case s.TokenErr != nil:
			fmt.Fprintf(e.stdout, "Slot %d: token unreadable: %v\n", s.ID, s.TokenErr)
		default:
			fmt.Fprintf(e.stdout, "Slot %d: %s — no token\n", s.ID, s.Description)
		}
	}
	return exitOK, nil
}
