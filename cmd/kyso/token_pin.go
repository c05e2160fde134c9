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

// pinOp is what differs between change-pin and unblock-pin: the PIN that
// authorises the change (the current user PIN or the SO PIN), how its
// state is judged before asking for it, and the token call.
type pinOp struct {
	name, usage string
	userPINFlag bool                         // --pin-env holds the authorising PIN
	authFlag    string                       // else: the flag naming its variable
	authHelp    string                       // that flag's help
	authPrompt  string                       // prompt when no variable is named
	newHelp     string                       // help of --new-pin-env
	onReader    string                       // message for a protected authentication path
	locked      func(pkcs11.PINStatus) error // refusal when the authorising PIN is locked
	finalTry    func(pkcs11.PINStatus) bool
	finalWarn   string
	do          func(ctx context.Context, tok *pkcs11.Token, auth, newPIN string) (pkcs11.PINChange, error)
	failed      func(error) error // adjusts the error of do
	done        string
}

func (c *tokenCmd) changePIN(ctx context.Context, args []string) (int, error) {
	return c.pinCommand(ctx, args, pinOp{
		name:        "change-pin",
		usage:       "kyso token change-pin --pkcs11 MOD --token LABEL [--pin-env OLD --new-pin-env NEW]",
		userPINFlag: true,
		authPrompt:  "PIN hiện tại / current PIN: ",
		newHelp:     "environment variable `VAR` holding the new PIN (default: ask twice without echo)",
		onReader:    "Nhập PIN cũ và PIN mới trên thiết bị / enter the old and the new PIN on the reader",
		locked: func(st pkcs11.PINStatus) error {
			if st.Locked {
				return inputErr(fmt.Errorf("%w: unblock it with kyso token unblock-pin / PIN đã bị khóa, mở khóa bằng PIN quản trị (SO)", pkcs11.ErrPINLocked))
			}
			return nil
		},
		finalTry:  func(st pkcs11.PINStatus) bool { return st.FinalTry },
		finalWarn: finalPINWarning,
		do: func(ctx context.Context, tok *pkcs11.Token, oldPIN, newPIN string) (pkcs11.PINChange, error) {
			return tok.ChangePIN(ctx, oldPIN, newPIN)
		},
		failed: func(err error) error { return err },
		done:   "Đã đổi PIN / PIN changed",
	})
}

func (c *tokenCmd) unblockPIN(ctx context.Context, args []string) (int, error) {
	return c.pinCommand(ctx, args, pinOp{
		name:       "unblock-pin",
		usage:      "kyso token unblock-pin --pkcs11 MOD --token LABEL [--so-pin-env SO --new-pin-env NEW]",
		authFlag:   "so-pin-env",
		authHelp:   "environment variable `VAR` holding the SO (security officer) PIN (default: ask without echo)",
		authPrompt: "PIN quản trị / SO PIN: ",
		newHelp:    "environment variable `VAR` holding the new user PIN (default: ask twice without echo)",
		onReader:   "Nhập PIN quản trị (SO) và PIN mới trên thiết bị / enter the SO PIN and the new PIN on the reader",
		locked: func(st pkcs11.PINStatus) error {
			if st.SOLocked {
				return inputErr(fmt.Errorf("%w: only the CA or the vendor can reset this token", pkcs11.ErrSOPINLocked))
			}
			return nil
		},
		finalTry:  func(st pkcs11.PINStatus) bool { return st.SOFinalTry },
		finalWarn: "Cảnh báo: nhập sai PIN quản trị lần nữa token sẽ bị khóa vĩnh viễn / one more wrong SO PIN locks the token for good",
		do: func(ctx context.Context, tok *pkcs11.Token, soPIN, newPIN string) (pkcs11.PINChange, error) {
			return tok.UnblockPIN(ctx, soPIN, newPIN)
		},
		failed: func(err error) error {
			if errors.Is(err, pkcs11.ErrSOPINIncorrect) {
				return fmt.Errorf("%w (not retried / không thử lại)", err)
			}
			return err
		},
		done: "Đã mở khóa và đặt PIN mới / PIN unblocked and set",
	})
}

// pinCommand runs a PIN administration command: it shows the PIN state
// before, asks for the authorising and the new PIN (unless the reader has
// its own PIN pad), makes the change and shows the state after.
func (c *tokenCmd) pinCommand(ctx context.Context, args []string, op pinOp) (int, error) {
	fs := c.flags(op.name, op.userPINFlag)
	var authEnv *string
	if op.authFlag != "" {
		authEnv = fs.String(op.authFlag, "", op.authHelp)
	}
	newEnv := fs.String("new-pin-env", "", op.newHelp)
	if err := c.parse(fs, args, op.usage); err != nil {
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
	var authPIN, newPIN string
	if before.ProtectedPath {
		fmt.Fprintln(c.e.stderr, op.onReader)
	} else {
		if err := op.locked(before); err != nil {
			return 0, err
		}
		if op.finalTry(before) {
			fmt.Fprintln(c.e.stderr, op.finalWarn)
		}
		flagName, env := "pin-env", c.pinEnv
		if authEnv != nil {
			flagName, env = op.authFlag, *authEnv
		}
		if authPIN, err = c.secret(flagName, env, op.authPrompt); err != nil {
			return 0, err
		}
		if newPIN, err = c.newPIN(*newEnv); err != nil {
			return 0, err
		}
	}
	ch, err := op.do(ctx, tok, authPIN, newPIN)
	if err != nil {
		c.pinStatus("Sau / after", ch.After)
		return 0, tokenErr(op.failed(err))
	}
	fmt.Fprintln(c.e.stdout, op.done)
	c.pinStatus("Sau / after", ch.After)
	return exitOK, nil
}
