package exprlib

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ---- time zones ----

var tzCache sync.Map // string -> *time.Location

// LoadTZ resolves a time zone: an IANA name ("Europe/Amsterdam"), "UTC" (or
// "Z"), or a fixed offset "+02:00", "-0530", "+05". "Local" and "" are
// rejected, so results never depend on the host's zone. Names are cached.
func LoadTZ(name string) (*time.Location, error) {
	if l, ok := tzCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	loc, err := loadTZ(name)
	if err != nil {
		return nil, err
	}
	tzCache.Store(name, loc)
	return loc, nil
}

func loadTZ(name string) (*time.Location, error) {
	switch name {
	case "UTC", "Z", "utc":
		return time.UTC, nil
	case "", "Local":
		// Local would make results depend on the machine running the flow.
		return nil, fmt.Errorf("unknown time zone %q (want an IANA name like \"Europe/Amsterdam\", \"UTC\" or an offset like \"+02:00\")", name)
	}
	if name[0] == '+' || name[0] == '-' {
		if off, ok := parseOffset(name[1:]); ok {
			if name[0] == '-' {
				off = -off
			}
			return time.FixedZone(name, off), nil
		}
	} else if loc, err := time.LoadLocation(name); err == nil {
		return loc, nil
	}
	return nil, fmt.Errorf("unknown time zone %q (want an IANA name like \"Europe/Amsterdam\", \"UTC\" or an offset like \"+02:00\")", name)
}

// parseOffset parses "HH", "HHMM" or "HH:MM" into seconds.
func parseOffset(s string) (int, bool) {
	s = strings.Replace(s, ":", "", 1)
	if len(s) != 2 && len(s) != 4 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h, _ := strconv.Atoi(s[:2])
	m := 0
	if len(s) == 4 {
		m, _ = strconv.Atoi(s[2:])
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*3600 + m*60, true
}

func argTZ(fn string, v any) (*time.Location, error) {
	name, err := argString(fn, "tz", v)
	if err != nil {
		return nil, err
	}
	loc, err := LoadTZ(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	return loc, nil
}

// ---- layouts ----

// isoLayouts are tried in order by parse_time(s, "iso8601").
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
	"20060102T150405Z0700",
	"20060102T150405",
	"20060102",
}

var (
	layoutCache sync.Map // string -> error (nil when the layout is usable)
	layoutCount atomic.Int64
)

// layoutCacheMax bounds layoutCache for layouts built from record data.
const layoutCacheMax = 1024

// checkLayout rejects layouts that contain no Go reference-time element, the
// usual mistake being "YYYY-MM-DD" or "dd/MM/yyyy".
func checkLayout(layout string) error {
	if v, ok := layoutCache.Load(layout); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	var err error
	probe := time.Date(2001, 11, 12, 13, 14, 15, 0, time.UTC)
	bad := probe.Format(layout) == layout
	if !bad {
		for _, tok := range []string{"YYYY", "yyyy", "YY", "DD", "dd", "HH", "hh", "mm", "ss", "SS"} {
			if strings.Contains(layout, tok) {
				bad = true
				break
			}
		}
	}
	if bad {
		err = fmt.Errorf("layout %q is not a Go reference-time layout; write the reference time Mon Jan 2 15:04:05 MST 2006 in the wanted form, e.g. \"2006-01-02\" or \"02/01/2006 15:04\", or use \"iso8601\"", layout)
	}
	if layoutCount.Load() < layoutCacheMax {
		if _, loaded := layoutCache.LoadOrStore(layout, err); !loaded {
			layoutCount.Add(1)
		}
	}
	return err
}

func isISO(layout string) bool {
	return strings.EqualFold(layout, "iso8601") || strings.EqualFold(layout, "iso")
}

func isRFC3339(layout string) bool { return strings.EqualFold(layout, "rfc3339") }

// ParseTime parses s with a Go layout, "iso8601" (RFC 3339 plus the common
// ISO 8601 variants: date only, no offset, no seconds, basic format) or
// "rfc3339" (offset required). Times without an offset are read in loc.
func ParseTime(s, layout string, loc *time.Location) (time.Time, error) {
	switch {
	case isISO(layout):
		for _, l := range isoLayouts {
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("cannot parse %q as ISO 8601 (e.g. \"2026-03-29T02:30:00+01:00\" or \"2026-03-29\")", s)
	case isRFC3339(layout):
		t, err := time.ParseInLocation(time.RFC3339Nano, s, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("cannot parse %q as RFC 3339 (e.g. \"2026-03-29T02:30:00Z\")", s)
		}
		return t, nil
	}
	if err := checkLayout(layout); err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		msg := fmt.Sprintf("cannot parse %q with layout %q", s, layout)
		var pe *time.ParseError
		if errors.As(err, &pe) {
			switch {
			case pe.Message != "":
				msg += " (" + strings.TrimPrefix(pe.Message, ": ") + ")"
			case pe.ValueElem != "" || pe.LayoutElem != "":
				msg += fmt.Sprintf(" (expected %q at %q)", pe.LayoutElem, pe.ValueElem)
			}
		}
		return time.Time{}, errors.New(msg)
	}
	return t, nil
}

// FormatTime formats t with a Go layout, or "iso8601"/"rfc3339" (RFC 3339
// with fractional seconds only when non-zero).
func FormatTime(t time.Time, layout string) (string, error) {
	if isISO(layout) || isRFC3339(layout) {
		return t.Format(time.RFC3339Nano), nil
	}
	if err := checkLayout(layout); err != nil {
		return "", err
	}
	return t.Format(layout), nil
}

// ---- durations ----

var errISODuration = errors.New("bad ISO 8601 duration")

// ParseDuration parses Go style ("2h30m", "1.5s", "-90m") and ISO 8601
// ("PT2H30M", "P1D", "P1DT12H", "P2W", "PT0.5S", "-PT15M") durations. An ISO
// day is 24 hours and a week 7 days; years and months are rejected because
// they have no fixed length.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	body, neg := in, false
	if body != "" && (body[0] == '-' || body[0] == '+') {
		neg = body[0] == '-'
		body = body[1:]
	}
	if body != "" && (body[0] == 'P' || body[0] == 'p') {
		d, err := parseISODuration(body[1:])
		if err != nil {
			if err != errISODuration {
				return 0, fmt.Errorf("%q: %v", s, err)
			}
			return 0, fmt.Errorf("cannot parse %q as an ISO 8601 duration (e.g. \"PT2H30M\", \"P1DT12H\")", s)
		}
		if neg {
			d = -d
		}
		return d, nil
	}
	d, err := time.ParseDuration(in)
	if err != nil {
		return 0, fmt.Errorf("cannot parse %q as a duration (want Go style like \"2h30m\" or ISO 8601 like \"PT2H30M\")", s)
	}
	return d, nil
}

func parseISODuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errISODuration
	}
	s = strings.ToUpper(s)
	var total float64 // nanoseconds; exact for integers up to 2^53
	var whole int64
	inTime, seen := false, false
	order := "YMWD"
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return 0, errISODuration
			}
			inTime, order = true, "HMS"
			s = s[1:]
			if s == "" {
				return 0, errISODuration
			}
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, errISODuration
		}
		num := strings.Replace(s[:i], ",", ".", 1)
		unit := s[i]
		s = s[i+1:]
		k := strings.IndexByte(order, unit)
		if k < 0 {
			return 0, errISODuration
		}
		order = order[k+1:] // designators must come in order, each at most once
		var per time.Duration
		switch {
		case !inTime && (unit == 'Y' || unit == 'M'):
			return 0, errors.New("years and months have no fixed length; use days (P30D) or weeks (P4W)")
		case !inTime && unit == 'W':
			per = 7 * 24 * time.Hour
		case !inTime && unit == 'D':
			per = 24 * time.Hour
		case unit == 'H':
			per = time.Hour
		case unit == 'M':
			per = time.Minute
		case unit == 'S':
			per = time.Second
		}
		intPart, frac, hasFrac := strings.Cut(num, ".")
		if intPart == "" && frac == "" {
			return 0, errISODuration
		}
		if intPart != "" {
			n, err := strconv.ParseInt(intPart, 10, 64)
			if err != nil || n > math.MaxInt64/int64(per) {
				return 0, errors.New("duration out of range")
			}
			if whole += n * int64(per); whole < 0 {
				return 0, errors.New("duration out of range")
			}
		}
		if hasFrac && frac != "" {
			f, err := strconv.ParseFloat("0."+frac, 64)
			if err != nil {
				return 0, errISODuration
			}
			total += math.Round(f * float64(per))
		}
		seen = true
	}
	if !seen {
		return 0, errISODuration
	}
	if float64(whole)+total > math.MaxInt64 {
		return 0, errors.New("duration out of range")
	}
	return time.Duration(whole + int64(total)), nil
}

// ---- business days ----

func isWeekend(t time.Time) bool {
	wd := t.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// AddBusinessDays moves t by n weekdays (Monday to Friday), skipping
// Saturdays and Sundays; the wall-clock time is kept. n = 0 returns t, even
// on a weekend; from a weekend, +1 is the next Monday and -1 the previous
// Friday.
func AddBusinessDays(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	// Any 7 consecutive days hold exactly 5 weekdays; jump whole weeks while
	// more than 5 remain so the last steps still land on a weekday.
	if n > 5 {
		weeks := (n - 1) / 5
		t = t.AddDate(0, 0, step*7*weeks)
		n -= 5 * weeks
	}
	for n > 0 {
		t = t.AddDate(0, 0, step)
		if !isWeekend(t) {
			n--
		}
	}
	return t
}

// DaysBetween returns the number of calendar days from a to b (negative if b
// is earlier), comparing the dates of both in a's time zone.
func DaysBetween(a, b time.Time) int {
	b = b.In(a.Location())
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int((db.Unix() - da.Unix()) / 86400)
}

// ---- expr functions ----

func timeFuncs() []Func {
	tTime := []any{new(func(time.Time) time.Time)}
	return []Func{
		{
			Name:      "parse_time",
			Signature: "parse_time(s string, layout string[, tz string]) time",
			Doc:       "Parses s with a Go layout (\"02/01/2006 15:04\"), \"iso8601\" or \"rfc3339\"; a time without an offset in s is read in tz (default UTC).",
			Example:   `parse_time('29/03/2026 02:30', '02/01/2006 15:04', 'Europe/Amsterdam')`,
			Fn: arity("parse_time", 2, 3, func(p ...any) (any, error) {
				s, err := argString("parse_time", "s", p[0])
				if err != nil {
					return nil, err
				}
				layout, err := argString("parse_time", "layout", p[1])
				if err != nil {
					return nil, err
				}
				loc := time.UTC
				if len(p) == 3 {
					if loc, err = argTZ("parse_time", p[2]); err != nil {
						return nil, err
					}
				}
				t, err := ParseTime(s, layout, loc)
				if err != nil {
					return nil, fmt.Errorf("parse_time: %v", err)
				}
				return t, nil
			}),
			Types: []any{
				new(func(string, string) time.Time),
				new(func(string, string, string) time.Time),
			},
		},
		{
			Name:      "format_time",
			Signature: "format_time(t time, layout string[, tz string]) string",
			Doc:       "Formats t with a Go layout or \"iso8601\"/\"rfc3339\", in tz if given, else in t's own time zone.",
			Example:   `format_time(date('2026-03-29T01:30:00Z'), '2006-01-02 15:04 MST', 'Europe/Amsterdam')`,
			Fn: arity("format_time", 2, 3, func(p ...any) (any, error) {
				t, err := argTime("format_time", "t", p[0])
				if err != nil {
					return nil, err
				}
				layout, err := argString("format_time", "layout", p[1])
				if err != nil {
					return nil, err
				}
				if len(p) == 3 {
					loc, err := argTZ("format_time", p[2])
					if err != nil {
						return nil, err
					}
					t = t.In(loc)
				}
				s, err := FormatTime(t, layout)
				if err != nil {
					return nil, fmt.Errorf("format_time: %v", err)
				}
				return s, nil
			}),
			Types: []any{
				new(func(time.Time, string) string),
				new(func(time.Time, string, string) string),
			},
		},
		{
			Name:      "in_tz",
			Signature: "in_tz(t time, tz string) time",
			Doc:       "The same instant as t, expressed in time zone tz (an IANA name, \"UTC\" or an offset like \"+02:00\").",
			Example:   `in_tz(date('2026-03-29T01:30:00Z'), 'Europe/Amsterdam')`,
			Fn: arity("in_tz", 2, 2, func(p ...any) (any, error) {
				t, err := argTime("in_tz", "t", p[0])
				if err != nil {
					return nil, err
				}
				loc, err := argTZ("in_tz", p[1])
				if err != nil {
					return nil, err
				}
				return t.In(loc), nil
			}),
			Types: []any{new(func(time.Time, string) time.Time)},
		},
		{
			Name:      "to_utc",
			Signature: "to_utc(t time) time",
			Doc:       "The same instant as t, expressed in UTC.",
			Example:   `to_utc(date('2026-03-29T03:30:00+02:00'))`,
			Fn: arity("to_utc", 1, 1, func(p ...any) (any, error) {
				t, err := argTime("to_utc", "t", p[0])
				if err != nil {
					return nil, err
				}
				return t.UTC(), nil
			}),
			Types: tTime,
		},
		{
			Name:      "start_of_day",
			Signature: "start_of_day(t time[, tz string]) time",
			Doc:       "Midnight at the start of t's calendar day, in tz if given, else in t's own time zone.",
			Example:   `start_of_day(date('2026-03-29T22:30:00Z'), 'Europe/Amsterdam')`,
			Fn: arity("start_of_day", 1, 2, func(p ...any) (any, error) {
				t, err := argTime("start_of_day", "t", p[0])
				if err != nil {
					return nil, err
				}
				if len(p) == 2 {
					loc, err := argTZ("start_of_day", p[1])
					if err != nil {
						return nil, err
					}
					t = t.In(loc)
				}
				return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()), nil
			}),
			Types: []any{
				new(func(time.Time) time.Time),
				new(func(time.Time, string) time.Time),
			},
		},
		{
			Name:      "add_days",
			Signature: "add_days(t time, n int) time",
			Doc:       "t moved by n calendar days in its own time zone, keeping the wall-clock time across DST changes (n may be negative).",
			Example:   `add_days(parse_time('2026-03-28 12:00', '2006-01-02 15:04', 'Europe/Amsterdam'), 1)`,
			Fn: arity("add_days", 2, 2, func(p ...any) (any, error) {
				t, err := argTime("add_days", "t", p[0])
				if err != nil {
					return nil, err
				}
				n, err := argInt("add_days", "n", p[1])
				if err != nil {
					return nil, err
				}
				return t.AddDate(0, 0, n), nil
			}),
			Types: []any{new(func(time.Time, int) time.Time)},
		},
		{
			Name:      "add_business_days",
			Signature: "add_business_days(t time, n int) time",
			Doc:       "t moved by n weekdays, skipping Saturdays and Sundays (no holidays), keeping the wall-clock time; from a weekend +1 is the next Monday.",
			Example:   `add_business_days(date('2026-03-06T09:00:00Z'), 1)`,
			Fn: arity("add_business_days", 2, 2, func(p ...any) (any, error) {
				t, err := argTime("add_business_days", "t", p[0])
				if err != nil {
					return nil, err
				}
				n, err := argInt("add_business_days", "n", p[1])
				if err != nil {
					return nil, err
				}
				if n > 1_000_000 || n < -1_000_000 {
					return nil, fmt.Errorf("add_business_days: n %d out of range", n)
				}
				return AddBusinessDays(t, n), nil
			}),
			Types: []any{new(func(time.Time, int) time.Time)},
		},
		{
			Name:      "parse_duration",
			Signature: "parse_duration(s string) duration",
			Doc:       "Parses a Go style (\"2h30m\") or ISO 8601 (\"PT2H30M\", \"P1DT12H\", \"P2W\") duration; an ISO day is 24h, years and months are rejected.",
			Example:   `parse_duration('P1DT2H30M')`,
			Fn: arity("parse_duration", 1, 1, func(p ...any) (any, error) {
				s, err := argString("parse_duration", "s", p[0])
				if err != nil {
					return nil, err
				}
				d, err := ParseDuration(s)
				if err != nil {
					return nil, fmt.Errorf("parse_duration: %v", err)
				}
				return d, nil
			}),
			Types: []any{new(func(string) time.Duration)},
		},
		{
			Name:      "days_between",
			Signature: "days_between(a time, b time) int",
			Doc:       "Calendar days from a's date to b's date (negative if b is earlier), both dates taken in a's time zone.",
			Example:   `days_between(date('2026-03-27'), date('2026-04-02'))`,
			Fn: arity("days_between", 2, 2, func(p ...any) (any, error) {
				a, err := argTime("days_between", "a", p[0])
				if err != nil {
					return nil, err
				}
				b, err := argTime("days_between", "b", p[1])
				if err != nil {
					return nil, err
				}
				return DaysBetween(a, b), nil
			}),
			Types: []any{new(func(time.Time, time.Time) int)},
		},
	}
}
