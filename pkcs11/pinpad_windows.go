//go:build windows

package pkcs11

import p11 "github.com/miekg/pkcs11"

// nullPIN runs C_SetPIN (set) or C_InitPIN for a pinpad reader through
// miekg/pkcs11 with empty PINs: on Windows the module is reached only
// through that package, which passes a zero-length PIN rather than NULL
// (PKCS#11 asks for NULL; whether a vendor's Windows pinpad middleware also
// takes a zero-length PIN is not verified here).
func nullPIN(lib *library, h p11.SessionHandle, set bool) error {
	if set {
		return lib.ctx.SetPIN(h, "", "")
	}
	return lib.ctx.InitPIN(h, "")
}
