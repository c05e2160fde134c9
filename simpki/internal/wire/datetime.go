package wire

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDateTime reads an xs:dateTime (XML Schema 1.1 Part 2 §3.3.8): an
// optional minus sign, a year of four or more digits, month, day, "T",
// hours, minutes, seconds with any number of fractional digits, and an
// optional time zone (Z or ±hh:mm up to 14:00). 24:00:00 is the first
// instant of the next day. A value without a time zone is taken as UTC:
// TS 102 204 does not say, and MSSPs that leave the zone out (.NET
// DateTime with Kind Unspecified) run on UTC or near it; the Instant is
// informational only. Surrounding whitespace is ignored (xs:dateTime
// collapses whitespace).
func ParseDateTime(s string) (time.Time, error) {
	in := s
	s = strings.TrimSpace(s)
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("xs:dateTime %q: %s", in, why)
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	date, clock, ok := strings.Cut(s, "T")
	if !ok {
		return bad("no T")
	}
	parts := strings.Split(date, "-")
	if len(parts) != 3 {
		return bad("date is not YYYY-MM-DD")
	}
	if len(parts[0]) < 4 || (len(parts[0]) > 4 && parts[0][0] == '0') || !digits(parts[0]) {
		return bad("bad year")
	}
	year, err := strconv.Atoi(parts[0])
	if err != nil || year > 999999999 {
		return bad("bad year")
	}
	if neg {
		year = -year
	}
	month, ok1 := two(parts[1])
	day, ok2 := two(parts[2])
	if !ok1 || !ok2 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return bad("bad month or day")
	}
	// Time zone.
	loc := time.UTC
	switch {
	case strings.HasSuffix(clock, "Z"):
		clock = clock[:len(clock)-1]
	case len(clock) > 6 && (clock[len(clock)-6] == '+' || clock[len(clock)-6] == '-'):
		z := clock[len(clock)-6:]
		clock = clock[:len(clock)-6]
		zh, okh := two(z[1:3])
		zm, okm := two(z[4:6])
		if z[3] != ':' || !okh || !okm || zm > 59 || zh*60+zm > 14*60 {
			return bad("bad time zone")
		}
		off := (zh*60 + zm) * 60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	hms, frac, hasFrac := strings.Cut(clock, ".")
	t := strings.Split(hms, ":")
	if len(t) != 3 {
		return bad("time is not hh:mm:ss")
	}
	hh, ok1 := two(t[0])
	mm, ok2 := two(t[1])
	ss, ok3 := two(t[2])
	if !ok1 || !ok2 || !ok3 || mm > 59 || ss > 59 {
		return bad("bad time")
	}
	nsec := 0
	if hasFrac {
		if frac == "" || !digits(frac) {
			return bad("bad fractional seconds")
		}
		f := frac
		if len(f) > 9 {
			f = f[:9]
		}
		f += strings.Repeat("0", 9-len(f))
		nsec, _ = strconv.Atoi(f)
	}
	switch {
	case hh == 24:
		if mm != 0 || ss != 0 || strings.Trim(frac, "0") != "" {
			return bad("24:00:00 only")
		}
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc).AddDate(0, 0, 1), nil
	case hh > 23:
		return bad("bad hour")
	}
	return time.Date(year, time.Month(month), day, hh, mm, ss, nsec, loc), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func two(s string) (int, bool) {
	if len(s) != 2 || !digits(s) {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
