//go:build !windows

package pkcs11

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

typedef unsigned long kyso_ulong;
typedef kyso_ulong (*kyso_get_fl)(void **);
typedef kyso_ulong (*kyso_init_pin)(kyso_ulong, unsigned char *, kyso_ulong);
typedef kyso_ulong (*kyso_set_pin)(kyso_ulong, unsigned char *, kyso_ulong, unsigned char *, kyso_ulong);

// The head of CK_FUNCTION_LIST: the version, then the function pointers
// in the order of PKCS#11 (C_InitPIN is the 11th, C_SetPIN the 12th).
struct kyso_fl_head {
	unsigned char major, minor;
	void *fn[12];
};

// kyso_null_pin calls C_SetPIN (set != 0) or C_InitPIN with NULL PIN
// pointers, as a pinpad reader needs. It returns the CK_RV, or
// ~0 when the module cannot be reached (not loaded, no function list).
static kyso_ulong kyso_null_pin(const char *path, kyso_ulong session, int set) {
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (h == NULL) return ~(kyso_ulong)0;
	kyso_get_fl get = (kyso_get_fl)dlsym(h, "C_GetFunctionList");
	struct kyso_fl_head *fl = NULL;
	kyso_ulong rv = ~(kyso_ulong)0;
	if (get != NULL && get((void **)&fl) == 0 && fl != NULL) {
		if (set) {
			kyso_set_pin f = (kyso_set_pin)fl->fn[11];
			if (f != NULL) rv = f(session, NULL, 0, NULL, 0);
		} else {
			kyso_init_pin f = (kyso_init_pin)fl->fn[10];
			if (f != NULL) rv = f(session, NULL, 0);
		}
	}
	dlclose(h);
	return rv;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	p11 "github.com/miekg/pkcs11"
)

// nullPIN runs C_SetPIN (set) or C_InitPIN with NULL PINs on session h,
// so the PINs are entered on a pinpad reader
// (CKF_PROTECTED_AUTHENTICATION_PATH). miekg/pkcs11 passes a non-NULL
// empty string there, which pinpad middleware may take as an empty PIN.
// The module is the one lib already loaded (dlopen RTLD_NOLOAD).
func nullPIN(lib *library, h p11.SessionHandle, set bool) error {
	path := C.CString(lib.path)
	defer C.free(unsafe.Pointer(path))
	s := C.int(0)
	if set {
		s = 1
	}
	r := C.kyso_null_pin(path, C.kyso_ulong(h), s)
	if r == ^C.kyso_ulong(0) {
		return fmt.Errorf("%w: %s: cannot reach C_GetFunctionList for a pinpad PIN operation", ErrModuleLoad, lib.path)
	}
	if r != 0 {
		return p11.Error(r)
	}
	return nil
}
