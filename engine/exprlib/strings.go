package exprlib

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// ---- regexp cache ----

// Patterns are nearly always literals, and functions run once per record, so
// compiled patterns are cached. The cache stops growing at reCacheMax entries
// (patterns built from record data would otherwise grow it without bound);
// later patterns are compiled on every call.
const reCacheMax = 4096

var (
	reCache sync.Map // pattern -> *regexp.Regexp
	reCount atomic.Int64
)

func compileRegexp(fn, pattern string) (*regexp.Regexp, error) {
	if re, ok := reCache.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		msg := err.Error()
		if pe, ok := err.(*syntax.Error); ok {
			msg = pe.Code.String()
			if pe.Expr != "" && pe.Expr != pattern {
				msg += fmt.Sprintf(" at %q", pe.Expr)
			}
		}
		return nil, fmt.Errorf("%s: invalid pattern %q: %s", fn, pattern, msg)
	}
	if reCount.Load() < reCacheMax {
		if _, loaded := reCache.LoadOrStore(pattern, re); !loaded {
			reCount.Add(1)
		}
	}
	return re, nil
}

func argRegexp(fn string, v any) (*regexp.Regexp, error) {
	pattern, err := argString(fn, "pattern", v)
	if err != nil {
		return nil, err
	}
	return compileRegexp(fn, pattern)
}

// ---- padding and substrings ----

const maxPadWidth = 1 << 20

func pad(fn string, left bool) func(p ...any) (any, error) {
	return arity(fn, 3, 3, func(p ...any) (any, error) {
		s, err := argString(fn, "s", p[0])
		if err != nil {
			return nil, err
		}
		width, err := argInt(fn, "width", p[1])
		if err != nil {
			return nil, err
		}
		padding, err := argString(fn, "pad", p[2])
		if err != nil {
			return nil, err
		}
		if width > maxPadWidth {
			return nil, fmt.Errorf("%s: width %d too large (max %d)", fn, width, maxPadWidth)
		}
		n := width - utf8.RuneCountInString(s)
		if n <= 0 {
			return s, nil
		}
		if padding == "" {
			return nil, fmt.Errorf("%s: pad must not be empty", fn)
		}
		return PadString(s, n, padding, left), nil
	})
}

// PadString adds n runes of padding (repeated, the last repetition cut) to
// the left or right of s.
func PadString(s string, n int, padding string, left bool) string {
	var b strings.Builder
	b.Grow(len(s) + n*len(padding))
	if !left {
		b.WriteString(s)
	}
	pr := []rune(padding)
	for i := 0; i < n; i++ {
		b.WriteRune(pr[i%len(pr)])
	}
	if left {
		b.WriteString(s)
	}
	return b.String()
}

// Substr returns up to length runes of s starting at rune index start
// (0-based). Out-of-range values are clamped: a negative start counts as 0, a
// start past the end or a length <= 0 gives "".
func Substr(s string, start, length int) string {
	start = max(start, 0)
	if length <= 0 || start >= len(s) {
		return ""
	}
	length = min(length, len(s)) // no string has more runes than bytes
	from, i := len(s), 0
	for bi := range s {
		if i == start {
			from = bi
		}
		if i == start+length {
			return s[from:bi]
		}
		i++
	}
	return s[from:]
}

// ---- expr functions ----

func stringFuncs() []Func {
	return []Func{
		{
			Name:      "pad_left",
			Signature: "pad_left(s string, width int, pad string) string",
			Doc:       "s padded on the left to width runes with pad (repeated as needed); s is returned unchanged if it is already that long.",
			Example:   `pad_left('42', 6, '0')`,
			Fn:        pad("pad_left", true),
			Types:     []any{new(func(string, int, string) string)},
		},
		{
			Name:      "pad_right",
			Signature: "pad_right(s string, width int, pad string) string",
			Doc:       "s padded on the right to width runes with pad (repeated as needed); s is returned unchanged if it is already that long.",
			Example:   `pad_right('NL', 5, '.')`,
			Fn:        pad("pad_right", false),
			Types:     []any{new(func(string, int, string) string)},
		},
		{
			Name:      "substr",
			Signature: "substr(s string, start int[, length int]) string",
			Doc:       "Up to length runes (characters, not bytes) of s from rune index start (0-based), to the end if length is omitted; out-of-range values are clamped, never an error.",
			Example:   `substr('Zürich Hbf', 0, 6)`,
			Fn: arity("substr", 2, 3, func(p ...any) (any, error) {
				s, err := argString("substr", "s", p[0])
				if err != nil {
					return nil, err
				}
				start, err := argInt("substr", "start", p[1])
				if err != nil {
					return nil, err
				}
				length := len(s) // no string has more runes than bytes
				if len(p) == 3 {
					if length, err = argInt("substr", "length", p[2]); err != nil {
						return nil, err
					}
				}
				return Substr(s, start, length), nil
			}),
			Types: []any{
				new(func(string, int) string),
				new(func(string, int, int) string),
			},
		},
		{
			Name:      "regex_match",
			Signature: "regex_match(s string, pattern string) bool",
			Doc:       "Whether the Go (RE2) regular expression pattern matches anywhere in s; anchor it with ^...$ to match the whole string.",
			Example:   `regex_match('NL-1012AB', '^[A-Z]{2}-[0-9]{4}[A-Z]{2}$')`,
			Fn: arity("regex_match", 2, 2, func(p ...any) (any, error) {
				s, err := argString("regex_match", "s", p[0])
				if err != nil {
					return nil, err
				}
				re, err := argRegexp("regex_match", p[1])
				if err != nil {
					return nil, err
				}
				return re.MatchString(s), nil
			}),
			Types: []any{new(func(string, string) bool)},
		},
		{
			Name:      "regex_find",
			Signature: "regex_find(s string, pattern string) string",
			Doc:       "The first match of pattern in s, or of its first capture group if it has one; \"\" when there is no match.",
			Example:   `regex_find('PO 4711-B', '([0-9]+)')`,
			Fn: arity("regex_find", 2, 2, func(p ...any) (any, error) {
				s, err := argString("regex_find", "s", p[0])
				if err != nil {
					return nil, err
				}
				re, err := argRegexp("regex_find", p[1])
				if err != nil {
					return nil, err
				}
				if re.NumSubexp() == 0 {
					return re.FindString(s), nil
				}
				m := re.FindStringSubmatchIndex(s)
				if m == nil || m[2] < 0 {
					return "", nil
				}
				return s[m[2]:m[3]], nil
			}),
			Types: []any{new(func(string, string) string)},
		},
		{
			Name:      "regex_replace",
			Signature: "regex_replace(s string, pattern string, repl string) string",
			Doc:       "s with every match of pattern replaced by repl, in which $1 or ${name} insert capture groups ($$ is a literal $).",
			Example:   `regex_replace('2026-03-29', '(\\d+)-(\\d+)-(\\d+)', '$3.$2.$1')`,
			Fn: arity("regex_replace", 3, 3, func(p ...any) (any, error) {
				s, err := argString("regex_replace", "s", p[0])
				if err != nil {
					return nil, err
				}
				re, err := argRegexp("regex_replace", p[1])
				if err != nil {
					return nil, err
				}
				repl, err := argString("regex_replace", "repl", p[2])
				if err != nil {
					return nil, err
				}
				return re.ReplaceAllString(s, repl), nil
			}),
			Types: []any{new(func(string, string, string) string)},
		},
		{
			Name:      "normalize_space",
			Signature: "normalize_space(s string) string",
			Doc:       "s with leading and trailing white space removed and every inner run of white space (including tabs, newlines and no-break spaces) replaced by one space.",
			Example:   "normalize_space('  Main\\t Street \\n 12 ')",
			Fn: arity("normalize_space", 1, 1, func(p ...any) (any, error) {
				s, err := argString("normalize_space", "s", p[0])
				if err != nil {
					return nil, err
				}
				return strings.Join(strings.Fields(s), " "), nil
			}),
			Types: []any{new(func(string) string)},
		},
	}
}
