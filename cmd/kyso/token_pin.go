package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/kyso-vn/kyso/pkcs11"
)

// "kyso token change-pin" and "kyso token unblock-pin".

// pinStatus prints a PIN state in both languages.
func (c *tokenCmd) pinStatus(when string, st pkcs11.PINStatus) {
	fmt.Fprintf(c.e.stdout, "%s: %s\n  (%s)\n", when, st.Vietnamese(), st)
}

func (c *tokenCmd) changePIN(ctx context.Context, args []string) (int, error) {
	fs := c.flags("change-pin", true)
	newEnv := fs.String("new-pin-env", "", "environment variable `VAR` holding the new PIN (default: ask twice without echo)")
	if err := c.parse(fs, args, "kyso token change-pin --pkcs11 MOD --token LABEL [--pin-env OLD --new-pin-env NEW]"); err != nil {
		return 0, err
	}
	tok, release, err := c.open(nil)
	if err != nil {
		return 0, err
	}
	defer release()
	before, err := tok.PINStatus()
	if err != nil {
		return 0, err
	}
	c.pinStatus("Trước / before", before)
	var oldPIN, newPIN string
	if before.ProtectedPath {
		fmt.Fprintln(c.e.stderr, "Nhập PIN cũ và PIN mới trên thiết bị / enter the old and the new PIN on the reader")
	} else {
		if before.Locked {
			return 0, inputErr(fmt.Errorf("%w: unblock it with kyso token unblock-pin / PIN đã bị khóa, mở khóa bằng PIN quản trị (SO)", pkcs11.ErrPINLocked))
		}
		if before.FinalTry {
			fmt.Fprintln(c.e.stderr, "Cảnh báo: nhập sai PIN lần nữa token sẽ bị khóa / one more wrong PIN locks the token")
		}
		if oldPIN, err = c.secret("pin-env", c.pinEnv, "PIN hiện tại / current PIN: "); err != nil {
			return 0, err
		}
		if newPIN, err = c.newPIN(*newEnv); err != nil {
			return 0, err
		}
	}
	ch, err := tok.ChangePIN(ctx, oldPIN, newPIN)
	if err != nil {
		c.pinStatus("Sau / after", ch.After)
		return 0, tokenErr(err)
	}
	fmt.Fprintln(c.e.stdout, "Đã đổi PIN / PIN changed")
	c.pinStatus("Sau / after", ch.After)
	return exitOK, nil
}

func (c *tokenCmd) unblockPIN(ctx context.Context, args []string) (int, error) {
	fs := c.flags("unblock-pin", false)
	soEnv := fs.String("so-pin-env", "", "environment variable `VAR` holding the SO (security officer) PIN (default: ask without echo)")
	newEnv := fs.String("new-pin-env", "", "environment variable `VAR` holding the new user PIN (default: ask twice without echo)")
	if err := c.parse(fs, args, "kyso token unblock-pin --pkcs11 MOD --token LABEL [--so-pin-env SO --new-pin-env NEW]"); err != nil {
		return 0, err
	}
	tok, release, err := c.open(nil)
	if err != nil {
		return 0, err
	}
	defer release()
	before, err := tok.PINStatus()
	if err != nil {
		return 0, err
	}
	c.pinStatus("Trước / before", before)
	var soPIN, newPIN string
	if before.ProtectedPath {
		fmt.Fprintln(c.e.stderr, "Nhập PIN quản trị (SO) và PIN mới trên thiết bị / enter the SO PIN and the new PIN on the reader")
	} else {
		if before.SOLocked {
			return 0, inputErr(fmt.Errorf("%w: only the CA or the vendor can reset this token", pkcs11.ErrSOPINLocked))
		}
		if before.SOFinalTry {
			fmt.Fprintln(c.e.stderr, "Cảnh báo: nhập sai PIN quản trị lần nữa token sẽ bị khóa vĩnh viễn / one more wrong SO PIN locks the token for good")
		}
		if soPIN, err = c.secret("so-pin-env", *soEnv, "PIN quản trị / SO PIN: "); err != nil {
			return 0, err
		}
		if newPIN, err = c.newPIN(*newEnv); err != nil {
			return 0, err
		}
	}
	ch, err := tok.UnblockPIN(ctx, soPIN, newPIN)
	if err != nil {
		c.pinStatus("Sau / after", ch.After)
		if errors.Is(err, pkcs11.ErrSOPINIncorrect) {
			err = fmt.Errorf("%w (not retried / không thử lại)", err)
		}
		return 0, tokenErr(err)
	}
	fmt.Fprintln(c.e.stdout, "Đã mở khóa và đặt PIN mới / PIN unblocked and set")
	c.pinStatus("Sau / after", ch.After)
	return exitOK, nil
}
