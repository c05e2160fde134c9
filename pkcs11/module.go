package pkcs11

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	p11 "github.com/miekg/pkcs11"
	"golang.org/x/text/unicode/norm"
)

// Module is a handle on a loaded PKCS#11 library. Every Open of the same
// library (after resolving symbolic links) shares one loaded copy, on which
// C_Initialize runs once; C_Finalize runs when the last Module and Token
// using it are closed. A Module is safe for concurrent use.
type Module struct {
	lib    *library
	once   sync.Once
	closed atomic.Bool
	// use is held (shared) by every call into the library, and
	// exclusively by Close around releasing it, so the last Close cannot
	// finalise and unload the library under a call still running.
	use sync.RWMutex
}

// enter guards a call into the library against a concurrent Close; the
// caller must call the returned function when done.
func (m *Module) enter() (func(), error) {
	m.use.RLock()
	if m.closed.Load() {
		m.use.RUnlock()
		return nil, ErrClosed
	}
	return m.use.RUnlock, nil
}

// library is the process-wide state of one loaded module.
type library struct {
	path     string // resolved path, the registry key
	ctx      *p11.Ctx
	refs     int  // guarded by registry.mu
	ownsInit bool // we called C_Initialize successfully and must finalize

	loginMu sync.Mutex
	logins  map[uint]*slotLogin // per-slot login state: a login is application-wide
}

// slotLogin serialises logins on a slot. Each kind of login counts its
// attempts and keeps the result of the latest, so callers that queued
// behind a failed attempt share its error instead of each spending a PIN
// try.
//
// Context-specific logins (CKA_ALWAYS_AUTHENTICATE keys, one per
// signature) queue on the same lock and keep their own count and result:
// concurrent signatures with a wrong PIN would otherwise each spend an
// attempt at once.
type slotLogin struct {
	lock chan struct{}
	user loginAttempts
	ctx  loginAttempts // context-specific logins
}

// loginAttempts is one kind of login on a slot.
type loginAttempts struct {
	seq     atomic.Uint64 // attempts made; written under the slot's lock
	lastErr error         // guarded by the slot's lock
}

// testHookLoginQueued, when set by a test, runs when a caller joins the
// login queue of a slot (after noting the attempt count it saw).
var testHookLoginQueued func()

var registry = struct {
	mu   sync.Mutex
	libs map[string]*library
}{libs: map[string]*library{}}

// Open loads the PKCS#11 library at path (or shares the copy already
// loaded by this process) and initialises it with CKF_OS_LOCKING_OK.
//
// Before loading, Open reads the library's header and refuses a library
// built for another architecture with an *ArchError, instead of the
// unexplained failure the dynamic loader gives. A module that another part
// of the process already initialised (CKR_CRYPTOKI_ALREADY_INITIALIZED) is
// shared and never finalised by kyso.
func Open(path string) (*Module, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: empty module path", ErrModuleLoad)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: module %s: %w", path, err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: module %s: %w", path, err)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if lib, ok := registry.libs[resolved]; ok {
		lib.refs++
		return &Module{lib: lib}, nil
	}
	if st, err := os.Stat(resolved); err != nil {
		return nil, fmt.Errorf("pkcs11: module %s: %w", path, err)
	} else if st.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory", ErrModuleLoad, path)
	}
	if err := CheckArchitecture(resolved); err != nil {
		return nil, err
	}
	ctx := p11.New(resolved)
	if ctx == nil {
		return nil, fmt.Errorf("%w: %s: the dynamic loader refused it or it exports no C_GetFunctionList (missing dependency libraries?)", ErrModuleLoad, path)
	}
	lib := &library{path: resolved, ctx: ctx, refs: 1, logins: map[uint]*slotLogin{}}
	switch err := ctx.Initialize(); rv(err) {
	case p11.CKR_OK:
		if err != nil {
			ctx.Destroy()
			return nil, fmt.Errorf("%w: %s: C_Initialize: %w", ErrModuleLoad, path, err)
		}
		lib.ownsInit = true
	case p11.CKR_CRYPTOKI_ALREADY_INITIALIZED:
		// Someone else in this process initialised it: share, never finalise.
	default:
		ctx.Destroy()
		return nil, fmt.Errorf("%w: %s: C_Initialize: %w", ErrModuleLoad, path, err)
	}
	registry.libs[resolved] = lib
	return &Module{lib: lib}, nil
}

// retain adds a reference to lib (a Token keeps its module loaded).
func (l *library) retain() {
	registry.mu.Lock()
	l.refs++
	registry.mu.Unlock()
}

// release drops a reference and finalises and unloads the module on the
// last one.
func (l *library) release() error {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	l.refs--
	if l.refs > 0 {
		return nil
	}
	delete(registry.libs, l.path)
	var err error
	if l.ownsInit {
		if e := l.ctx.Finalize(); e != nil {
			err = fmt.Errorf("pkcs11: C_Finalize %s: %w", l.path, e)
		}
	}
	l.ctx.Destroy()
	return err
}

// slotLogin returns the login state of slot.
func (l *library) slotLogin(slot uint) *slotLogin {
	l.loginMu.Lock()
	defer l.loginMu.Unlock()
	sl, ok := l.logins[slot]
	if !ok {
		sl = &slotLogin{lock: make(chan struct{}, 1)}
		l.logins[slot] = sl
	}
	return sl
}

// Close releases this handle. The module is finalised and unloaded when
// the last handle (including open Tokens) is released. Close is idempotent.
func (m *Module) Close() error {
	var err error
	m.once.Do(func() {
		m.closed.Store(true)
		m.use.Lock() // wait for calls in flight
		err = m.lib.release()
		m.use.Unlock()
	})
	return err
}

// Path returns the resolved path of the loaded library.
func (m *Module) Path() string { return m.lib.path }

// ModuleInfo describes a module (C_GetInfo).
type ModuleInfo struct {
	Manufacturer    string // manufacturerID
	Description     string // libraryDescription
	CryptokiVersion string // e.g. "2.40"
	LibraryVersion  string // the module's own version, e.g. "2.6"
}

// Info returns the module's self-description.
func (m *Module) Info() (ModuleInfo, error) {
	leave, err := m.enter()
	if err != nil {
		return ModuleInfo{}, err
	}
	defer leave()
	in, err := m.lib.ctx.GetInfo()
	if err != nil {
		return ModuleInfo{}, fmt.Errorf("pkcs11: C_GetInfo: %w", err)
	}
	return ModuleInfo{
		Manufacturer:    cleanText(in.ManufacturerID),
		Description:     cleanText(in.LibraryDescription),
		CryptokiVersion: fmt.Sprintf("%d.%d", in.CryptokiVersion.Major, in.CryptokiVersion.Minor),
		LibraryVersion:  fmt.Sprintf("%d.%d", in.LibraryVersion.Major, in.LibraryVersion.Minor),
	}, nil
}

// Slot describes a slot and, when one is present, its token.
type Slot struct {
	ID           uint       // the slot ID, for TokenSpec.Slot
	Description  string     // slotDescription
	Manufacturer string     // manufacturerID of the slot (the reader)
	TokenPresent bool       // CKF_TOKEN_PRESENT
	Removable    bool       // CKF_REMOVABLE_DEVICE
	Hardware     bool       // CKF_HW_SLOT
	Token        *TokenInfo // nil when no token is present or it cannot be read
	TokenErr     error      // why Token is nil although a token is present
}

// TokenInfo describes a token (C_GetTokenInfo). Text fields are trimmed of
// padding spaces and NUL bytes and normalised to Unicode NFC, so Vietnamese
// labels compare as users type them.
type TokenInfo struct {
	Slot         uint   // the slot holding the token
	Label        string // the token's label, often the holder's name
	Manufacturer string // manufacturerID
	Model        string // model
	Serial       string // serialNumber, the stable way to find the token again
	Flags        uint   // raw CKF_* token flags

	MaxSessions   uint // ulMaxSessionCount: 0 unlimited, ^uint(0) unknown
	Sessions      uint // ulSessionCount: sessions open now (all applications)
	MaxRWSessions uint // ulMaxRwSessionCount: 0 unlimited, ^uint(0) unknown
	RWSessions    uint // ulRwSessionCount
	MinPINLen     uint // ulMinPinLen
	MaxPINLen     uint // ulMaxPinLen
}

// LoginRequired reports CKF_LOGIN_REQUIRED.
func (t TokenInfo) LoginRequired() bool { return t.Flags&p11.CKF_LOGIN_REQUIRED != 0 }

// ProtectedAuthPath reports CKF_PROTECTED_AUTHENTICATION_PATH: the PIN is
// entered on the reader's pinpad, not given by the program.
func (t TokenInfo) ProtectedAuthPath() bool {
	return t.Flags&p11.CKF_PROTECTED_AUTHENTICATION_PATH != 0
}

// Initialized reports CKF_TOKEN_INITIALIZED.
func (t TokenInfo) Initialized() bool { return t.Flags&p11.CKF_TOKEN_INITIALIZED != 0 }

// PINCountLow reports CKF_USER_PIN_COUNT_LOW.
func (t TokenInfo) PINCountLow() bool { return t.Flags&p11.CKF_USER_PIN_COUNT_LOW != 0 }

// PINFinalTry reports CKF_USER_PIN_FINAL_TRY.
func (t TokenInfo) PINFinalTry() bool { return t.Flags&p11.CKF_USER_PIN_FINAL_TRY != 0 }

// PINLocked reports CKF_USER_PIN_LOCKED.
func (t TokenInfo) PINLocked() bool { return t.Flags&p11.CKF_USER_PIN_LOCKED != 0 }

// PINToBeChanged reports CKF_USER_PIN_TO_BE_CHANGED.
func (t TokenInfo) PINToBeChanged() bool { return t.Flags&p11.CKF_USER_PIN_TO_BE_CHANGED != 0 }

// String describes the token: label, serial, manufacturer, model, slot.
func (t TokenInfo) String() string {
	return fmt.Sprintf("%q (serial %s, %s %s, slot %d)", t.Label, t.Serial, t.Manufacturer, t.Model, t.Slot)
}

// Slots lists the module's slots with their tokens.
func (m *Module) Slots() ([]Slot, error) {
	leave, err := m.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	ids, err := m.lib.ctx.GetSlotList(false)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: C_GetSlotList: %w", err)
	}
	slots := make([]Slot, 0, len(ids))
	for _, id := range ids {
		si, err := m.lib.ctx.GetSlotInfo(id)
		if err != nil {
			return nil, fmt.Errorf("pkcs11: C_GetSlotInfo(%d): %w", id, err)
		}
		s := Slot{
			ID:           id,
			Description:  cleanText(si.SlotDescription),
			Manufacturer: cleanText(si.ManufacturerID),
			TokenPresent: si.Flags&p11.CKF_TOKEN_PRESENT != 0,
			Removable:    si.Flags&p11.CKF_REMOVABLE_DEVICE != 0,
			Hardware:     si.Flags&p11.CKF_HW_SLOT != 0,
		}
		if s.TokenPresent {
			ti, err := tokenInfo(m.lib.ctx, id)
			if err != nil {
				s.TokenErr = err
			} else {
				s.Token = &ti
			}
		}
		slots = append(slots, s)
	}
	return slots, nil
}

// Tokens lists the present, readable tokens.
func (m *Module) Tokens() ([]TokenInfo, error) {
	slots, err := m.Slots()
	if err != nil {
		return nil, err
	}
	var out []TokenInfo
	for _, s := range slots {
		if s.Token != nil {
			out = append(out, *s.Token)
		}
	}
	return out, nil
}

func tokenInfo(ctx *p11.Ctx, slot uint) (TokenInfo, error) {
	ti, err := ctx.GetTokenInfo(slot)
	if err != nil {
		return TokenInfo{}, wrapLoss(fmt.Sprintf("C_GetTokenInfo(slot %d)", slot), err)
	}
	return TokenInfo{
		Slot:          slot,
		Label:         cleanText(ti.Label),
		Manufacturer:  cleanText(ti.ManufacturerID),
		Model:         cleanText(ti.Model),
		Serial:        cleanText(ti.SerialNumber),
		Flags:         ti.Flags,
		MaxSessions:   ti.MaxSessionCount,
		Sessions:      ti.SessionCount,
		MaxRWSessions: ti.MaxRwSessionCount,
		RWSessions:    ti.RwSessionCount,
		MinPINLen:     ti.MinPinLen,
		MaxPINLen:     ti.MaxPinLen,
	}, nil
}

// cleanText turns a fixed-width, blank-padded PKCS#11 text field into a Go
// string: it stops at the first NUL (some middleware pads with NULs or
// leaves C-string garbage after one), trims padding spaces, drops a UTF-8
// sequence cut off by the field width, replaces other invalid bytes with
// U+FFFD, and normalises to NFC.
func cleanText(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, " ")
	// A multi-byte character cut by the 32-byte field: drop the stub.
	if i := truncatedTail(s); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(strings.ToValidUTF8(s, "\uFFFD"), " ")
	return norm.NFC.String(s)
}

// truncatedTail returns the index of an incomplete multi-byte UTF-8
// sequence at the end of s, or -1.
func truncatedTail(s string) int {
	for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if s[i] >= utf8.RuneSelf && !utf8.FullRuneInString(s[i:]) {
				return i
			}
			return -1
		}
	}
	return -1
}

// errorsIsAny reports whether err matches any target.
func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
