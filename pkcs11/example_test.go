package pkcs11_test

import (
	"bufio"
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/kyso-vn/kyso/pkcs11"
)

// askPIN prompts on the terminal. A real application shows a dialog, and
// warns when req.FinalTry is set.
func askPIN(_ context.Context, req pkcs11.PINRequest) (string, error) {
	if req.ProtectedPath {
		fmt.Printf("Nhập PIN trên thiết bị %s\n", req.Token.Label)
		return "", nil
	}
	if req.FinalTry {
		fmt.Println("Cảnh báo: nhập sai lần nữa token sẽ bị khóa")
	}
	fmt.Printf("PIN cho %s: ", req.Token.Label)
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	return strings.TrimSpace(line), err
}

// Open a module, pick the token by serial, choose a certificate by its
// SHA-1 thumbprint and sign a digest.
func Example() {
	mod, err := pkcs11.Open(`C:\Windows\System32\vnptca_p11_v8.dll`)
	if err != nil {
		log.Fatal(err) // an *ArchError says when a 32-bit DLL was given
	}
	defer mod.Close()

	tok, err := mod.OpenToken(pkcs11.TokenSpec{Serial: "54010203AB0C0D0E"}, pkcs11.Options{PIN: askPIN})
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()

	ctx := context.Background()
	certs, err := tok.Certificates(ctx)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := pkcs11.SelectCertificate(certs, "74:D6:ED:EC:5E:B4:22:82:36:F2:E4:D8:EA:26:11:39:CC:44:EF:B9")
	if err != nil {
		log.Fatal(err)
	}
	s, err := tok.Signer(ctx, cert)
	if err != nil {
		log.Fatal(err)
	}
	digest := sha256.Sum256([]byte("hóa đơn điện tử"))
	sig, err := s.SignDigest(ctx, digest[:], crypto.SHA256)
	switch {
	case errors.Is(err, pkcs11.ErrPINIncorrect):
		log.Fatal("sai PIN: ", err) // never retried behind the user's back
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("%d-byte signature by %s\n", len(sig), s.Certificate().Subject.CommonName)
}

// List every slot and token of a module.
func ExampleModule_Slots() {
	mod, err := pkcs11.Open("/usr/lib/softhsm/libsofthsm2.so")
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	slots, err := mod.Slots()
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range slots {
		if s.Token == nil {
			fmt.Printf("slot %d: %s (no token)\n", s.ID, s.Description)
			continue
		}
		fmt.Printf("slot %d: %s\n", s.ID, s.Token)
	}
}

// Select a token by label; two tokens with one label are refused.
func ExampleModule_OpenToken() {
	mod, err := pkcs11.Open("/usr/lib/softhsm/libsofthsm2.so")
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	tok, err := mod.OpenToken(pkcs11.TokenSpec{Label: "Chữ ký số Nguyễn"}, pkcs11.Options{PIN: askPIN, MaxSessions: 2})
	if errors.Is(err, pkcs11.ErrAmbiguousToken) {
		log.Fatal("hai token cùng nhãn, hãy chọn theo số serial: ", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	fmt.Println(tok.Info())
}

// List the certificates on a token so the user can choose one.
func ExampleToken_Certificates() {
	mod, err := pkcs11.Open("/usr/lib/softhsm/libsofthsm2.so")
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	tok, err := mod.OpenToken(pkcs11.TokenSpec{}, pkcs11.Options{PIN: askPIN})
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	certs, err := tok.Certificates(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range certs {
		fmt.Println(c) // subject, issuer, serial, validity, SHA-1 thumbprint
	}
}

// Find the token middleware installed on this computer.
func ExampleDiscover() {
	for _, c := range pkcs11.Discover(pkcs11.DiscoverOptions{}) {
		if errors.Is(c.Err, pkcs11.ErrWrongArchitecture) {
			fmt.Printf("%s: %s cannot be loaded by this program: %v\n", c.Vendor, c.Path, c.Err)
			continue
		}
		fmt.Printf("%s: %s\n", c.Vendor, c.Path)
	}
}

// Check a vendor library before loading it.
func ExampleCheckArchitecture() {
	err := pkcs11.CheckArchitecture(`C:\Windows\SysWOW64\vnptca_p11_v8.dll`)
	var ae *pkcs11.ArchError
	if errors.As(err, &ae) {
		fmt.Println("built for", ae.Library, "but this program is", ae.Process)
	}
}

// Sign through the token from many goroutines: each call borrows its own
// session; the first one asks for the PIN.
func ExampleToken_Signer() {
	mod, err := pkcs11.Open("/usr/lib/softhsm/libsofthsm2.so")
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	tok, err := mod.OpenToken(pkcs11.TokenSpec{Label: "kyso"}, pkcs11.Options{PIN: askPIN, MaxSessions: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	ctx := context.Background()
	certs, err := tok.Certificates(ctx)
	if err != nil || len(certs) == 0 {
		log.Fatal("no certificate: ", err)
	}
	s, err := tok.Signer(ctx, certs[0])
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan error)
	for i := range 4 {
		go func() {
			d := sha256.Sum256(fmt.Appendf(nil, "văn bản %d", i))
			_, err := s.SignDigest(ctx, d[:], crypto.SHA256)
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			log.Fatal(err)
		}
	}
}
