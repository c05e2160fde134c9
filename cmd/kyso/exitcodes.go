package main

import "strings"

// The exit statuses each command documents in its help (the same codes
// as "kyso help" and the README list for every command).

const (
	signExitHelp = `Exit status: 0 signed; 1 the operation failed or was refused (TSA, SIM
user or MSSP, remote-signing service, token; interrupted); 2 usage or input
error (bad flags or arguments, an existing OUT without --force, an
unreadable or malformed file, a wrong password or PIN, a locked PIN);
3 the certificate check refused to sign (nothing written).
`
	verifyExitHelp = `Exit status: 0 every signature of every file is TOTAL_PASSED; 1 a
signature is TOTAL_FAILED or INDETERMINATE, or a file holds no signature;
2 usage or input error (bad flags, an unreadable or unrecognised file,
unreadable trust anchors), which wins over 1 when several files differ.
`
	tokenExitHelp = `Exit status: 0 done; 1 the token refused or failed a command, or the
user interrupted; 2 usage or input error (bad flags, a module that does not
load, no matching token or certificate, a wrong or locked PIN, an existing
output file).
`
	pkiExitHelp = `Exit status: 0 done (serve: until interrupted); 1 a server could not
start (the address is in use); 2 usage or input error (bad flags, a DIR
that kyso pki init did not make, or one that already holds a PKI).
`
	versionExitHelp = "Exit status: 0, or 2 for extra arguments.\n"
)

// exitHelp returns the exit-status paragraph for the command a synopsis
// or a group name ("kyso sign …", "kyso token …") starts with.
func exitHelp(synopsis string) string {
	for _, c := range []struct{ prefix, text string }{
		{"kyso sign", signExitHelp},
		{"kyso verify", verifyExitHelp},
		{"kyso tokens", tokenExitHelp},
		{"kyso token", tokenExitHelp},
		{"kyso pki", pkiExitHelp},
		{"kyso version", versionExitHelp},
	} {
		if strings.HasPrefix(synopsis, c.prefix) {
			return c.text
		}
	}
	return ""
}
