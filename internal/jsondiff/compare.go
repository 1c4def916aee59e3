package jsondiff

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"math"
	"math/big"
	"reflect"
	"strconv"
)

// normalize returns v as a plain JSON value (nil, bool, string, float64,
// json.Number, map[string]any or []any), converting integers and float32 to
// json.Number and anything else through a JSON round trip. Only the top
// level is converted: the elements of a map[string]any or []any are
// normalised when they are visited. A value that does not survive the round
// trip is returned as is (an "opaque" value).
func normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, string, float64, json.Number, map[string]any, []any:
		return v
	case int:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int8:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int16:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case uint:
		return json.Number(strconv.FormatUint(uint64(x), 10))
	case uint8:
		return json.Number(strconv.FormatUint(uint64(x), 10))
	case uint16:
		return json.Number(strconv.FormatUint(uint64(x), 10))
	case uint32:
		return json.Number(strconv.FormatUint(uint64(x), 10))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	case float32:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return f
		}
		// The shortest decimal that reads back as x, as json.Marshal
		// writes it: float32(0.1) is 0.1, not 0.10000000149011612.
		return json.Number(strconv.FormatFloat(f, 'g', -1, 32))
	}
	return roundTrip(v)
}

func roundTrip(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return v
	}
	return out
}

// isPlain reports whether v (normalised) is a JSON value rather than an
// opaque one.
func isPlain(v any) bool {
	switch v.(type) {
	case nil, bool, string, float64, json.Number, map[string]any, []any:
		return true
	}
	return false
}

func equal(a, b any) bool {
	eq, _ := equalWithin(a, b, math.MaxInt)
	return eq
}

// equalWithin is equal giving up after visiting budget values: it returns
// the budget left, negative when it gave up.
func equalWithin(a, b any, budget int) (bool, int) {
	budget--
	if budget < 0 {
		return false, budget
	}
	a, b = normalize(a), normalize(b)
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false, budget
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok {
				return false, budget
			}
			var eq bool
			if eq, budget = equalWithin(xv, yv, budget); !eq {
				return false, budget
			}
		}
		return true, budget
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false, budget
		}
		for i := range x {
			var eq bool
			if eq, budget = equalWithin(x[i], y[i], budget); !eq {
				return false, budget
			}
		}
		return true, budget
	}
	return equalNormalized(a, b), budget
}

// equalNormalized compares two normalised values; their elements need not
// be normalised yet.
func equalNormalized(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64, json.Number:
		return numberEqual(a, b)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	// a is opaque.
	return !isPlain(b) && reflect.DeepEqual(a, b)
}

// numberEqual compares a number (float64 or json.Number) with b.
func numberEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y || (x != x && y != y) // NaN equals NaN
		case json.Number:
			return floatNumberEqual(x, y)
		}
	case json.Number:
		switch y := b.(type) {
		case float64:
			return floatNumberEqual(y, x)
		case json.Number:
			return x == y || decimalEqual(string(x), string(y))
		}
	}
	return false
}

// floatNumberEqual compares f, as the shortest decimal that reads back as f
// (what json.Marshal writes), with the exact number n.
func floatNumberEqual(f float64, n json.Number) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false
	}
	var buf [32]byte
	x, ok1 := parseDecimal(strconv.AppendFloat(buf[:0], f, 'g', -1, 64))
	y, ok2 := parseDecimal(string(n))
	return ok1 && ok2 && decimalsEqual(&x, &y)
}

// validNumber reports whether s is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(s string) bool {
	_, _, _, _, ok := splitNumber(s)
	return ok
}

// splitNumber splits a JSON number into its sign, the digits before and
// after the decimal point and the exponent digits (with sign).
func splitNumber[T text](s T) (neg bool, intPart, frac, exp T, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return
	}
	intPart = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return
		}
		frac = s[start:i]
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		start = i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		digits := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == digits {
			return
		}
		exp = s[start:i]
	}
	ok = i == len(s)
	return
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// decimalEqual compares two JSON numbers exactly. Invalid numbers are equal
// to nothing (identical strings were handled by the caller).
func decimalEqual(s, t string) bool {
	x, ok1 := parseDecimal(s)
	y, ok2 := parseDecimal(t)
	return ok1 && ok2 && decimalsEqual(&x, &y)
}

// text is the type of a number's text: a string, or bytes formatted on the
// stack.
type text interface{ ~string | ~[]byte }

// decimal is a JSON number as ±0.DIGITS × 10^exp, where DIGITS, the
// significant digits, are digits[lo:hi] of the digits as written (intPart
// then frac): no leading or trailing zero. Zero has no digits.
type decimal[T text] struct {
	neg           bool
	intPart, frac T
	lo, hi        int
	exp           int64
	bigExp        string // the exponent when it does not fit in an int64
}

func (d *decimal[T]) digit(i int) byte {
	if i < len(d.intPart) {
		return d.intPart[i]
	}
	return d.frac[i-len(d.intPart)]
}

func decimalsEqual[S, T text](d *decimal[S], e *decimal[T]) bool {
	if d.hi-d.lo != e.hi-e.lo {
		return false
	}
	if d.hi == d.lo {
		return true // both zero, whatever the sign and exponent
	}
	if d.neg != e.neg || d.exp != e.exp || d.bigExp != e.bigExp {
		return false
	}
	for i := range d.hi - d.lo {
		if d.digit(d.lo+i) != e.digit(e.lo+i) {
			return false
		}
	}
	return true
}

// parseDecimal parses a JSON number without allocating (unless its
// exponent has more than 17 digits).
func parseDecimal[T text](s T) (d decimal[T], ok bool) {
	var e T
	d.neg, d.intPart, d.frac, e, ok = splitNumber(s)
	if !ok {
		return d, false
	}
	n := len(d.intPart) + len(d.frac)
	for d.lo < n && d.digit(d.lo) == '0' {
		d.lo++
	}
	d.hi = n
	for d.hi > d.lo && d.digit(d.hi-1) == '0' {
		d.hi--
	}
	if d.lo == d.hi {
		return d, true
	}
	point := int64(len(d.intPart) - d.lo)
	eNeg := false
	if len(e) > 0 && (e[0] == '+' || e[0] == '-') {
		eNeg = e[0] == '-'
		e = e[1:]
	}
	for len(e) > 1 && e[0] == '0' {
		e = e[1:]
	}
	if len(e) <= 17 {
		var x int64
		for i := 0; i < len(e); i++ {
			x = x*10 + int64(e[i]-'0')
		}
		if eNeg {
			x = -x
		}
		d.exp = x + point
		return d, true
	}
	// "1e99999999999999999999": too large for an int64.
	var x big.Int
	x.SetString(string(e), 10)
	if eNeg {
		x.Neg(&x)
	}
	x.Add(&x, big.NewInt(point))
	d.bigExp = x.String()
	return d, true
}

var hashSeed = maphash.MakeSeed()

// memoMin is the size (in values) from which a container's hash is kept:
// small containers are cheaper to hash again.
const memoMin = 16

type memoKey struct {
	p   uintptr // the map, or the first element of the list
	n   int
	obj bool
}

type memoEntry struct {
	h, size uint64
	keep    any // keeps the container alive, so that p names it alone
}

// hash returns a hash of v such that equal values hash alike. It is only
// ever compared within one Diff, to skip most calls to equal. The hashes of
// large containers are kept, so that in a deep value, where every level's
// list is hashed, each value is hashed once.
func (d *differ) hash(v any) uint64 {
	h, _ := d.hashSized(v)
	return h
}

func (d *differ) hashSized(v any) (h, size uint64) {
	v = normalize(v)
	switch x := v.(type) {
	case nil:
		return 0x6e756c6c, 1
	case bool:
		if x {
			return 0x74727565, 1
		}
		return 0x66616c73, 1
	case string:
		return mix(maphash.String(hashSeed, x) ^ 0x73), 1
	case float64:
		if math.IsNaN(x) {
			return 0x4e614e, 1 // every NaN
		}
		if math.IsInf(x, 0) {
			return mix(math.Float64bits(x)), 1
		}
		var buf [32]byte
		return hashNumber(strconv.AppendFloat(buf[:0], x, 'g', -1, 64)), 1
	case json.Number:
		return hashNumber(string(x)), 1
	case []any:
		if len(x) == 0 {
			return 0x6c697374, 1
		}
		key := memoKey{p: reflect.ValueOf(v).Pointer(), n: len(x)}
		if e, ok := d.memo[key]; ok {
			return e.h, e.size
		}
		h, size = uint64(0x6c697374)+uint64(len(x)), 1
		for _, e := range x {
			eh, es := d.hashSized(e)
			h = mix(h*31 + eh)
			size += es
		}
		d.remember(key, h, size, v)
		return h, size
	case map[string]any:
		key := memoKey{p: reflect.ValueOf(v).Pointer(), n: len(x), obj: true}
		if e, ok := d.memo[key]; ok {
			return e.h, e.size
		}
		// Order-independent: a sum of per-entry hashes.
		h, size = uint64(0x6f626a)+uint64(len(x)), 1
		for k, e := range x {
			eh, es := d.hashSized(e)
			h += mix(maphash.String(hashSeed, k) ^ eh*0x9e3779b97f4a7c15)
			size += es
		}
		h = mix(h)
		d.remember(key, h, size, v)
		return h, size
	}
	return 0x6f706171, 1 // opaque
}

func (d *differ) remember(key memoKey, h, size uint64, v any) {
	if size < memoMin {
		return
	}
	if d.memo == nil {
		d.memo = make(map[memoKey]memoEntry)
	}
	d.memo[key] = memoEntry{h, size, v}
}

// eqBudget is the number of values eq compares before it compares hashes.
const eqBudget = 64

// eq is equal for list elements. Deciding on small values directly, it
// compares the hashes of larger ones first: in a deep value, whose levels'
// lists each compare their elements, equal would walk down to the
// difference at each level (quadratic time), while the kept hashes are
// computed once.
func (d *differ) eq(x, y any) bool {
	switch x.(type) {
	case map[string]any, []any:
		eq, left := equalWithin(x, y, eqBudget)
		if left >= 0 {
			return eq
		}
		if d.hash(x) != d.hash(y) {
			return false
		}
	}
	return equal(x, y)
}

// hashNumber hashes the value of a JSON number, or the text of an invalid
// one.
func hashNumber[T text](s T) uint64 {
	d, ok := parseDecimal(s)
	if !ok {
		return mix(maphash.String(hashSeed, string(s)) ^ 0x696e76)
	}
	if d.lo == d.hi {
		return 0x7a65726f // zero, whatever its sign
	}
	h := uint64(0x6e756d)
	if d.neg {
		h = ^h
	}
	for i := d.lo; i < d.hi; i++ {
		h = (h ^ uint64(d.digit(i))) * 0x100000001b3 // FNV-1a
	}
	h ^= mix(uint64(d.exp))
	if d.bigExp != "" {
		h ^= maphash.String(hashSeed, d.bigExp)
	}
	return mix(h)
}

// mix is the splitmix64 finaliser.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
