package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// encoder appends compact JSON, byte for byte what a json.Encoder with
// SetEscapeHTML(false) writes (without its trailing newline). The values a
// reader produces and the usual Go scalars are encoded directly, reusing
// scratch space between calls; anything else goes through encoding/json.
type encoder struct {
	cache [4]keyCache // sorted keys of recent maps, per nesting level
	depth int

	fb   bytes.Buffer
	fenc *json.Encoder
}

// maxEncodeDepth is where the encoder hands over to encoding/json, which
// detects cycles.
const maxEncodeDepth = 500

func (e *encoder) append(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case json.Number:
		return appendNumber(b, x)
	case bool:
		return strconv.AppendBool(b, x), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		if e.depth >= maxEncodeDepth {
			return e.fallback(b, v)
		}
		e.depth++
		b, err := e.appendMap(b, x)
		e.depth--
		return b, err
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		if e.depth >= maxEncodeDepth {
			return e.fallback(b, v)
		}
		e.depth++
		b = append(b, '[')
		for i, el := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = e.append(b, el); err != nil {
				e.depth--
				return b, err
			}
		}
		e.depth--
		return append(b, ']'), nil
	case float64:
		return appendFloat(b, x, 64)
	case time.Time:
		// As time.Time.MarshalJSON (RFC 3339 with nanoseconds), without
		// the detour through encoding/json.
		if y := x.Year(); y >= 0 && y <= 9999 {
			b = append(b, '"')
			b = x.AppendFormat(b, time.RFC3339Nano)
			return append(b, '"'), nil
		}
		return e.fallback(b, v)
	case JSONAppender:
		return x.AppendJSON(b)
	case float32:
		return appendFloat(b, float64(x), 32)
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case map[string]string:
		if x == nil {
			return append(b, "null"...), nil
		}
		ks := make([]string, 0, len(x))
		for k := range x {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		b = append(b, '{')
		for i, k := range ks {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, x[k])
		}
		return append(b, '}'), nil
	case []string:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	case []map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, el := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = e.append(b, el); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	return e.fallback(b, v)
}

// appendMap appends x with its keys sorted. Records of a stream mostly
// have the same keys, so the sorted keys of recent maps are kept per
// nesting level: a map of the same size that has all of a kept list's keys
// has exactly those keys, and needs no sorting.
func (e *encoder) appendMap(b []byte, x map[string]any) ([]byte, error) {
	if len(x) == 0 {
		return append(b, "{}"...), nil
	}
	var kc *keyCache
	if e.depth <= len(e.cache) {
		kc = &e.cache[e.depth-1]
		for i := range kc.lists {
			ks := kc.lists[i]
			if len(ks) != len(x) {
				continue
			}
			start := len(b)
			b = append(b, '{')
			for j, k := range ks {
				v, ok := x[k]
				if !ok {
					break
				}
				if j > 0 {
					b = append(b, ',')
				}
				b = appendString(b, k)
				b = append(b, ':')
				var err error
				if b, err = e.append(b, v); err != nil {
					return b, err
				}
				if j == len(ks)-1 {
					return append(b, '}'), nil
				}
			}
			b = b[:start] // not these keys after all
			break
		}
	}
	ks := make([]string, 0, len(x))
	for k := range x {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	if kc != nil {
		kc.put(ks)
	}
	b = append(b, '{')
	for i, k := range ks {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = e.append(b, x[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// keyCache holds the sorted keys of recent maps of one nesting level, at
// most one list per map size.
type keyCache struct {
	lists [4][]string
	next  int
}

func (c *keyCache) put(ks []string) {
	for i, l := range c.lists {
		if len(l) == len(ks) {
			c.lists[i] = ks
			return
		}
	}
	c.lists[c.next] = ks
	c.next = (c.next + 1) % len(c.lists)
}

// JSONAppender is implemented by values that append their own JSON (such
// as exact decimals), which saves a MarshalJSON allocation and a pass
// through encoding/json per value.
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// fallback encodes v with encoding/json.
func (e *encoder) fallback(b []byte, v any) ([]byte, error) {
	if e.fenc == nil {
		e.fenc = json.NewEncoder(&e.fb)
		e.fenc.SetEscapeHTML(false)
	}
	e.fb.Reset()
	if err := e.fenc.Encode(v); err != nil {
		return b, err
	}
	out := bytes.TrimSuffix(e.fb.Bytes(), []byte("\n"))
	b = append(b, out...)
	if e.fb.Cap() > 1<<20 {
		e.fb = bytes.Buffer{}
	}
	return b, nil
}

func appendNumber(b []byte, n json.Number) ([]byte, error) {
	s := string(n)
	if s == "" {
		s = "0" // encoding/json writes the zero Number as 0
	}
	if !validNumber(s) {
		return b, fmt.Errorf("json: invalid number literal %q", s)
	}
	return append(b, s...), nil
}

// validNumber reports whether s is a JSON number.
func validNumber(s string) bool {
	return scanNumber(s, 0) == len(s)
}

// appendFloat formats f as encoding/json does.
func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, bits))
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// safe marks the ASCII bytes a JSON string holds unescaped.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as encoding/json does without HTML
// escaping: invalid UTF-8 becomes \ufffd, U+2028 and U+2029 are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
