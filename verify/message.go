package verify

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Message is one remark of a report as data: Code names what is said and
// keeps its meaning across releases; Args are the values it speaks of
// (times in RFC 3339 UTC, names, paths, counts); Cause is the message it
// reports in turn (why a timestamp was not used, what an error said).
//
// Text renders a message in Vietnamese or English from one catalogue of
// templates (the codes are listed in messages.go and the catalogue files
// beside it); JSON carries the code, the arguments, the cause and the
// English text, so that programs match codes and people read text.
type Message struct {
	Code  string   `json:"code"`
	Args  []string `json:"args,omitempty"`
	Cause *Message `json:"cause,omitempty"`
}

// codeTechnical is the code of a message that only carries an error text
// from below kyso's catalogue (a Go library's error): its one argument is
// shown as it is, in every language.
const codeTechnical = "technical"

// msg builds a message. Arguments are rendered as data: strings as they
// are, times in RFC 3339 UTC, integers in decimal, fmt.Stringers by
// String. One error or Message argument becomes the Cause instead of an
// argument.
func msg(code string, args ...any) Message {
	m := Message{Code: code}
	for _, a := range args {
		switch v := a.(type) {
		case string:
			m.Args = append(m.Args, v)
		case int:
			m.Args = append(m.Args, strconv.Itoa(v))
		case int64:
			m.Args = append(m.Args, strconv.FormatInt(v, 10))
		case uint64:
			m.Args = append(m.Args, strconv.FormatUint(v, 10))
		case time.Time:
			m.Args = append(m.Args, v.UTC().Format(time.RFC3339))
		case Message:
			c := v
			m.Cause = &c
		case *Message:
			m.Cause = v
		case error:
			m.Cause = errMessage(v)
		case fmt.Stringer:
			m.Args = append(m.Args, v.String())
		default:
			m.Args = append(m.Args, fmt.Sprint(v))
		}
	}
	return m
}

// messager is implemented by kyso errors that know their message.
type messager interface{ message() Message }

// errMessage turns an error into a message: kyso's own errors keep their
// code; any other error is technical detail shown as it is.
func errMessage(err error) *Message {
	var m messager
	if errors.As(err, &m) {
		c := m.message()
		return &c
	}
	if layout := layoutMessage(err); layout != nil {
		return layout
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return &Message{Code: "x509.unknown-authority"}
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		if c := invalid.Cert; c != nil {
			m := msg("x509.outside-validity", displayName(c), c.NotBefore, c.NotAfter)
			return &m
		}
		return &Message{Code: "x509.expired", Args: []string{invalid.Detail}}
	}
	return &Message{Code: codeTechnical, Args: []string{err.Error()}}
}

// MessageCodes returns every code a report may carry, sorted: for
// integrators who map codes to their own texts or alerts. The label.*,
// indication.*, sub.*, id.* and term.* entries are the report's words, not
// remarks.
func MessageCodes() []string {
	codes := make([]string, 0, len(messageCatalogue))
	for code := range messageCatalogue {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// IsZero reports whether m is empty.
func (m Message) IsZero() bool { return m.Code == "" }

// String is the English text.
func (m Message) String() string { return m.Text(English) }

// Text renders m in lang. A code missing from the catalogue (a report
// made by a newer kyso, say) is shown as the code and its arguments.
func (m Message) Text(lang Language) string {
	if m.Code == "" {
		return ""
	}
	t, ok := messageCatalogue[m.Code]
	if !ok {
		s := "[" + m.Code + "]"
		if len(m.Args) > 0 {
			s += " " + strings.Join(m.Args, ", ")
		}
		if m.Cause != nil {
			s += ": " + m.Cause.Text(lang)
		}
		return s
	}
	return expand(t.in(lang), m, lang)
}

// MarshalJSON adds the English text to the code, arguments and cause.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	return json.Marshal(struct {
		plain
		Text string `json:"text"`
	}{plain(m), m.Text(English)})
}

// expand fills a template: {N} is argument N, {N:time} argument N (RFC
// 3339) as a time in lang's convention, {N:date} its date in Vietnam
// (GMT+7), in lang's convention, {N:term}
// argument N translated through the term list, {cause} the cause's text.
func expand(tpl string, m Message, lang Language) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		j := strings.IndexByte(tpl[i:], '}')
		if j < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		b.WriteString(tpl[:i])
		b.WriteString(placeholder(tpl[i+1:i+j], m, lang))
		tpl = tpl[i+j+1:]
	}
}

func placeholder(p string, m Message, lang Language) string {
	if p == "cause" {
		if m.Cause == nil {
			return ""
		}
		return m.Cause.Text(lang)
	}
	idx, kind, _ := strings.Cut(p, ":")
	n, err := strconv.Atoi(idx)
	if err != nil || n < 0 || n >= len(m.Args) {
		return ""
	}
	a := m.Args[n]
	switch kind {
	case "time":
		// English keeps RFC 3339, as the arguments hold it.
		if t, err := time.Parse(time.RFC3339, a); err == nil && lang == Vietnamese {
			return fmtTime(lang, t)
		}
	case "date":
		// A date is the calendar date in Vietnam, in both languages: the
		// deadlines it shows are Vietnamese dates (--sha1-before
		// 2021-01-01 is midnight GMT+7, whose UTC date is the day before).
		if t, err := time.Parse(time.RFC3339, a); err == nil {
			if lang == Vietnamese {
				return t.In(vietnamTime).Format("02/01/2006")
			}
			return t.In(vietnamTime).Format("2006-01-02")
		}
	case "term":
		if t, ok := messageCatalogue["term."+a]; ok {
			return t.in(lang)
		}
		// A term followed by a PDF name ("stream /Form") translates its
		// word and keeps the name.
		if w, name, ok := strings.Cut(a, " /"); ok {
			if t, ok := messageCatalogue["term."+w]; ok {
				return t.in(lang) + " /" + name
			}
		}
	}
	return a
}

// template is one catalogue entry: the English and Vietnamese texts.
type template struct{ en, vi string }

// in is the text in lang.
func (t template) in(lang Language) string {
	if lang == Vietnamese {
		return t.vi
	}
	return t.en
}

// messageCatalogue holds every code's texts; it is assembled from the
// per-topic tables at start-up and never changed afterwards.
var messageCatalogue = func() map[string]template {
	all := map[string]template{}
	for _, part := range []map[string]template{reportLabels, generalMessages, revocationMessages, formatMessages, changeMessages, terms} {
		for code, t := range part {
			if _, dup := all[code]; dup {
				panic("verify: message code " + code + " defined twice")
			}
			all[code] = t
		}
	}
	return all
}()

// equal reports whether m and o say the same.
func (m Message) equal(o Message) bool {
	if m.Code != o.Code || !slices.Equal(m.Args, o.Args) || (m.Cause == nil) != (o.Cause == nil) {
		return false
	}
	return m.Cause == nil || m.Cause.equal(*o.Cause)
}

// msgError is an error that is a catalogue message; it unwraps to the
// error among its arguments, if any.
type msgError struct {
	m   Message
	err error
}

func (e *msgError) Error() string    { return e.m.String() }
func (e *msgError) Unwrap() error    { return e.err }
func (e *msgError) message() Message { return e.m }

// errorMsg returns the error whose message is msg(code, args...).
func errorMsg(code string, args ...any) error {
	e := &msgError{m: msg(code, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			e.err = err
		}
	}
	return e
}
