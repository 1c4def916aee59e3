package jsondiff

import (
	"unicode/utf8"
)

// appendKey appends the path segment of object key k to p: ".k" when k is
// an ASCII identifier, else ["k"] with k as a JSON string.
func appendKey(p []byte, k string) []byte {
	if isIdent(k) {
		return append(append(p, '.'), k...)
	}
	p = append(p, '[')
	p = appendQuoted(p, k)
	return append(p, ']')
}

// isIdent reports whether s matches [A-Za-z_][A-Za-z0-9_]*.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && isDigit(c) {
			continue
		}
		return false
	}
	return true
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string. Besides what JSON requires, it
// escapes DEL, the C1 controls and U+2028/U+2029 (so that paths are safe to
// print on a terminal) and writes invalid UTF-8 as U+FFFD.
func appendQuoted(p []byte, s string) []byte {
	p = append(p, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"' || r == '\\':
			p = append(p, '\\', byte(r))
		case r == '\n':
			p = append(p, '\\', 'n')
		case r == '\r':
			p = append(p, '\\', 'r')
		case r == '\t':
			p = append(p, '\\', 't')
		case r == utf8.RuneError && size == 1:
			p = append(p, "\ufffd"...)
		case needsEscape(r):
			p = appendUEscape(p, r)
		default:
			p = utf8.AppendRune(p, r)
		}
	}
	return append(p, '"')
}

// needsEscape reports whether r is a control character (C0, DEL, C1) or a
// line or paragraph separator.
func needsEscape(r rune) bool {
	return r < 0x20 || 0x7f <= r && r <= 0x9f || r == '\u2028' || r == '\u2029'
}

func appendUEscape(p []byte, r rune) []byte {
	return append(p, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
