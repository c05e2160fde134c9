package main

import (
	"errors"
	"flag"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
)

// What the sign commands check in their arguments before any key is
// opened, and how network failures are worded for people.

// checkInputs refuses an input that does not exist or is not a regular
// file (a directory, say) as an input error, exit status 2, before a PIN
// is asked or the certificate is checked online.
func checkInputs(paths ...string) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return inputErr(err)
		}
		if st.IsDir() {
			return usagef("%s: is a directory, not a file to sign", p)
		}
	}
	return nil
}

// checkURLFlag refuses a --NAME flag of fs (when it has one and it is
// set) whose value is not an http or https URL with a host.
func checkURLFlag(fs *flag.FlagSet, name string) error {
	f := fs.Lookup(name)
	if f == nil || f.Value.String() == "" {
		return nil
	}
	v := f.Value.String()
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--%s %q: want an http:// or https:// URL", name, v)
	}
	return nil
}

// netReason words the failure of an HTTP request the way a user reads it:
// "connection refused" rather than Go's `Post "URL": dial tcp
// 127.0.0.1:1: connect: connection refused` (the caller's message names
// the server already).
func netReason(ue *url.Error) string {
	var errno syscall.Errno
	if errors.As(ue.Err, &errno) {
		return errno.Error()
	}
	var dns *net.DNSError
	if errors.As(ue.Err, &dns) {
		if dns.IsNotFound {
			return "không tìm thấy máy chủ / host not found: " + dns.Name
		}
		return "DNS: " + dns.Err
	}
	if ue.Timeout() {
		return "hết thời gian chờ / timed out"
	}
	var op *net.OpError
	if errors.As(ue.Err, &op) && op.Err != nil {
		return innerReason(op)
	}
	return strings.TrimPrefix(ue.Err.Error(), "net/http: ")
}

// innerReason is the system's reason for a failed network operation
// ("address already in use"), without the operation and the system call.
func innerReason(op *net.OpError) string {
	var errno syscall.Errno
	if errors.As(op.Err, &errno) {
		return errno.Error()
	}
	return op.Err.Error()
}

// goKeyType matches Go's names of key types ("ed25519.PrivateKey",
// "*dsa.PublicKey") as the library's errors print them with %T.
var goKeyType = regexp.MustCompile(`\*?(rsa|ecdsa|ed25519|ecdh|dsa)\.(Private|Public)Key\b`)

// keyTypeNames are the names people know those key types by.
var keyTypeNames = map[string]string{"rsa": "RSA", "ecdsa": "ECDSA", "ed25519": "Ed25519", "ecdh": "ECDH (X25519)", "dsa": "DSA"}

// plainKeyTypes replaces Go's key type names in msg by the algorithm's
// name: "private key type ed25519.PrivateKey" becomes "private key type
// Ed25519".
func plainKeyTypes(msg string) string {
	return goKeyType.ReplaceAllStringFunc(msg, func(m string) string {
		return keyTypeNames[goKeyType.FindStringSubmatch(m)[1]]
	})
}
