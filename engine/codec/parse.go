package codec

import (
	"encoding/json"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// parser decodes one JSON document held in memory into the values
// encoding/json produces for an any with UseNumber: map[string]any, []any,
// string, json.Number, bool and nil. It exists for speed: it builds maps at
// their final size, shares object keys and short values that repeat from
// record to record, and keeps its scratch space between documents. It accepts exactly what encoding/json accepts (the
// tests check it against encoding/json, fuzzing included); on any syntax
// error it returns errSyntax and the caller asks encoding/json for the
// message.
type parser struct {
	buf   []byte
	pos   int
	depth int

	kvs  []kv   // pending members of the objects being parsed, innermost last
	vals []any  // pending elements of the arrays being parsed
	str  []byte // unescaping scratch

	// Tables of recent object keys, string values and numbers, shared
	// between records; see key and shared.
	keys *[tableSlots]string
	strs *[tableSlots]sharedValue
	nums *[tableSlots]sharedValue
}

type kv struct {
	k string
	v any
}

// errSyntax is the parser's only error; callers replace it with
// encoding/json's description of the problem.
var errSyntax = errors.New("syntax error")

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// tableSlots is the size of each table of shared values. The tables are
// fixed-size, direct-mapped caches: a value whose slot holds another value
// is allocated and takes the slot.
const tableSlots = 1024

// maxSharedLen is the longest key or value that is shared.
const maxSharedLen = 32

// parse decodes the single JSON value in b, surrounded by optional
// whitespace. The result does not alias b.
func (p *parser) parse(b []byte) (any, error) {
	p.buf, p.pos, p.depth = b, 0, 0
	p.skipWS()
	v, err := p.value()
	if err == nil {
		p.skipWS()
		if p.pos != len(p.buf) {
			err = errSyntax
		}
	}
	p.buf = nil
	if err != nil {
		clear(p.kvs)
		p.kvs = p.kvs[:0]
		clear(p.vals)
		p.vals = p.vals[:0]
		return nil, err
	}
	return v, nil
}

// parsePrefix decodes the JSON value at the start of b and returns it with
// its length; what follows it is not looked at. A number at the very end
// of b may be cut short: callers that cannot rule that out must not use
// parsePrefix for numbers.
func (p *parser) parsePrefix(b []byte) (any, int, error) {
	p.buf, p.pos, p.depth = b, 0, 0
	v, err := p.value()
	n := p.pos
	p.buf = nil
	if err != nil {
		clear(p.kvs)
		p.kvs = p.kvs[:0]
		clear(p.vals)
		p.vals = p.vals[:0]
		return nil, 0, err
	}
	return v, n, nil
}

func (p *parser) skipWS() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (any, error) {
	if p.pos >= len(p.buf) {
		return nil, errSyntax
	}
	switch c := p.buf[p.pos]; c {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		raw, err := p.string()
		if err != nil {
			return nil, err
		}
		if len(raw) <= maxSharedLen {
			return p.shared(&p.strs, raw, false), nil
		}
		return string(raw), nil
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	case 'n':
		return nil, p.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return p.number()
		}
	}
	return nil, errSyntax
}

func (p *parser) literal(lit string) error {
	if len(p.buf)-p.pos < len(lit) || string(p.buf[p.pos:p.pos+len(lit)]) != lit {
		return errSyntax
	}
	p.pos += len(lit)
	return nil
}

func (p *parser) object() (any, error) {
	p.pos++ // '{'
	if p.depth++; p.depth > maxDepth {
		return nil, errSyntax
	}
	base := len(p.kvs)
	p.skipWS()
	if p.pos < len(p.buf) && p.buf[p.pos] == '}' {
		p.pos++
		p.depth--
		return map[string]any{}, nil
	}
	for {
		if p.pos >= len(p.buf) || p.buf[p.pos] != '"' {
			return nil, errSyntax
		}
		raw, err := p.string()
		if err != nil {
			return nil, err
		}
		k := p.key(raw)
		p.skipWS()
		if p.pos >= len(p.buf) || p.buf[p.pos] != ':' {
			return nil, errSyntax
		}
		p.pos++
		p.skipWS()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		p.kvs = append(p.kvs, kv{k, v})
		p.skipWS()
		if p.pos >= len(p.buf) {
			return nil, errSyntax
		}
		c := p.buf[p.pos]
		p.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, errSyntax
		}
		p.skipWS()
	}
	members := p.kvs[base:]
	m := make(map[string]any, len(members))
	for _, e := range members {
		m[e.k] = e.v // a repeated key keeps its last value, as in encoding/json
	}
	clear(members)
	p.kvs = p.kvs[:base]
	p.depth--
	return m, nil
}

func (p *parser) array() (any, error) {
	p.pos++ // '['
	if p.depth++; p.depth > maxDepth {
		return nil, errSyntax
	}
	base := len(p.vals)
	p.skipWS()
	if p.pos < len(p.buf) && p.buf[p.pos] == ']' {
		p.pos++
		p.depth--
		return []any{}, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		p.vals = append(p.vals, v)
		p.skipWS()
		if p.pos >= len(p.buf) {
			return nil, errSyntax
		}
		c := p.buf[p.pos]
		p.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			return nil, errSyntax
		}
		p.skipWS()
	}
	elems := p.vals[base:]
	a := make([]any, len(elems))
	copy(a, elems)
	clear(elems)
	p.vals = p.vals[:base]
	p.depth--
	return a, nil
}

func (p *parser) number() (any, error) {
	start := p.pos
	i := scanNumber(p.buf, start)
	if i < 0 {
		return nil, errSyntax
	}
	p.pos = i
	if i-start == 1 {
		return smallNumbers[p.buf[start]-'0'], nil
	}
	if i-start <= maxSharedLen {
		return p.shared(&p.nums, p.buf[start:i], true), nil
	}
	return json.Number(p.buf[start:i]), nil
}

// scanNumber returns the end of the JSON number starting at b[i], or -1 if
// there is none. What follows the number is the caller's to check.
func scanNumber[T string | []byte](b T, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i
}

var smallNumbers = func() (a [10]any) {
	for i := range a {
		a[i] = json.Number(string(rune('0' + i)))
	}
	return a
}()

// plain marks the string bytes that need no attention: not '"', not '\\',
// not a control character and ASCII.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// string decodes the string at p.pos (its opening quote). The result is
// valid until the next call.
func (p *parser) string() ([]byte, error) {
	b := p.buf
	start := p.pos + 1
	i := start
	escaped, ascii := false, true
	for {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return nil, errSyntax
		}
		c := b[i]
		if c == '"' {
			break
		}
		switch {
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return nil, errSyntax
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b[i+2:]) < 0 {
					return nil, errSyntax
				}
				i += 6
			default:
				return nil, errSyntax
			}
		case c < 0x20:
			return nil, errSyntax
		default: // >= 0x80
			ascii = false
			i++
		}
	}
	p.pos = i + 1
	raw := b[start:i]
	if escaped || !ascii && !utf8.Valid(raw) {
		raw = p.unquote(raw)
	}
	return raw, nil
}

// key returns the object key raw as a string, shared with an earlier
// equal key when the key table still has it, so records do not each
// allocate their keys.
func (p *parser) key(raw []byte) string {
	if len(raw) > maxSharedLen {
		return string(raw)
	}
	if p.keys == nil {
		p.keys = new([tableSlots]string)
	}
	slot := &p.keys[hashBytes(raw)%tableSlots]
	if *slot == string(raw) {
		return *slot
	}
	s := string(raw)
	*slot = s
	return s
}

// shared returns the string or json.Number value raw as an any, shared
// with an earlier equal value when the table t still has it: codes,
// units, currencies, statuses and quantities repeat from record to
// record, and sharing saves both the string and its interface box.
func (p *parser) shared(t **[tableSlots]sharedValue, raw []byte, number bool) any {
	if *t == nil {
		*t = new([tableSlots]sharedValue)
	}
	slot := &(*t)[hashBytes(raw)%tableSlots]
	if slot.v != nil && slot.s == string(raw) {
		return slot.v
	}
	s := string(raw)
	slot.s = s
	if number {
		slot.v = json.Number(s)
	} else {
		slot.v = s
	}
	return slot.v
}

type sharedValue struct {
	s string
	v any
}

// hashBytes is a cheap hash of a short byte string: its length and a few
// of its bytes. Collisions only cost sharing.
func hashBytes[T string | []byte](b T) uint32 {
	n := len(b)
	h := uint32(n) * 0x9E3779B1
	if n > 0 {
		h ^= uint32(b[0]) | uint32(b[n-1])<<8 | uint32(b[n/2])<<16 | uint32(b[n/3])<<24
		h *= 0x85EBCA6B
		h ^= h >> 15
	}
	return h
}

// hex4 returns the value of the 4 hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// unquote decodes the escapes of the validated string body s into p.str
// and replaces invalid UTF-8 with U+FFFD, as encoding/json does.
func (p *parser) unquote(s []byte) []byte {
	out := p.str[:0]
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := hex4(s[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:])); dec != utf8.RuneError {
							r += 6
							out = utf8.AppendRune(out, dec)
							continue
						}
					}
					rr = utf8.RuneError
				}
				out = utf8.AppendRune(out, rr)
				continue
			default: // '"', '\\', '/'
				out = append(out, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			out = utf8.AppendRune(out, rr)
		}
	}
	p.str = out
	return out
}

// kindOf names the JSON kind of a decoded value, for error messages.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}
