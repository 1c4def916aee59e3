package exprlib

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
)

// IsEmpty reports whether v is nil (including a nil pointer, slice or map),
// the empty string, or an empty list or map. 0, false and the zero time are
// not empty.
func IsEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array, reflect.String:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// urlNamespace is the RFC 4122 name space ID for URLs.
var urlNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// uuidV5 is the RFC 4122 (RFC 9562) name-based UUID, version 5 (SHA-1).
func uuidV5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

func uuidString(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// UUID5 returns the deterministic version 5 UUID of name within namespace.
// The namespace is any string: it is first turned into a namespace UUID as
// uuid5(URL namespace, namespace), always, even when it looks like a UUID, so
// UUID5("https://acme.example/orders", "PO-1") is the same on every run and
// every machine, and equals Python's
// uuid5(uuid5(NAMESPACE_URL, namespace), name).
func UUID5(namespace, name string) string {
	return uuidString(uuidV5(uuidV5(urlNamespace, namespace), name))
}

func miscFuncs() []Func {
	return []Func{
		{
			Name:      "coalesce",
			Signature: "coalesce(a any, more ...any) any",
			Doc:       "The first argument that is not nil (an empty string counts as a value; see or_default), or nil if all are nil.",
			Example:   `coalesce(nil, '', 'fallback')`,
			Fn: arity("coalesce", 1, -1, func(p ...any) (any, error) {
				for _, v := range p {
					if !isNil(v) {
						return v, nil
					}
				}
				return nil, nil
			}),
			Types: []any{new(func(any, ...any) any)},
		},
		{
			Name:      "or_default",
			Signature: "or_default(v any, d any) any",
			Doc:       "v, unless it is empty (nil, \"\", an empty list or map, as is_empty), then d.",
			Example:   `or_default('', 'n/a')`,
			Fn: arity("or_default", 2, 2, func(p ...any) (any, error) {
				if IsEmpty(p[0]) {
					return p[1], nil
				}
				return p[0], nil
			}),
			Types: []any{new(func(any, any) any)},
		},
		{
			Name:      "is_empty",
			Signature: "is_empty(v any) bool",
			Doc:       "Whether v is nil, the empty string, or an empty list or map (0 and false are not empty).",
			Example:   `is_empty([])`,
			Fn: arity("is_empty", 1, 1, func(p ...any) (any, error) {
				return IsEmpty(p[0]), nil
			}),
			Types: []any{new(func(any) bool)},
		},
		{
			Name:      "sha256",
			Signature: "sha256(s string) string",
			Doc:       "The SHA-256 digest of s as 64 lowercase hex digits, e.g. for idempotency keys.",
			Example:   `sha256('PO-4711|2026-03-29')`,
			Fn: arity("sha256", 1, 1, func(p ...any) (any, error) {
				s, err := argString("sha256", "s", p[0])
				if err != nil {
					return nil, err
				}
				sum := sha256.Sum256([]byte(s))
				return hex.EncodeToString(sum[:]), nil
			}),
			Types: []any{new(func(string) string)},
		},
		{
			Name:      "uuid5",
			Signature: "uuid5(namespace string, name string) string",
			Doc:       "Deterministic name-based UUID (version 5) of name; namespace is any string, hashed into a namespace UUID with the RFC 4122 URL namespace.",
			Example:   `uuid5('https://acme.example/orders', 'PO-4711')`,
			Fn: arity("uuid5", 2, 2, func(p ...any) (any, error) {
				ns, err := argString("uuid5", "namespace", p[0])
				if err != nil {
					return nil, err
				}
				name, err := argString("uuid5", "name", p[1])
				if err != nil {
					return nil, err
				}
				return UUID5(ns, name), nil
			}),
			Types: []any{new(func(string, string) string)},
		},
	}
}
