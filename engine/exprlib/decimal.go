package exprlib

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Decimal is an exact base-10 number for money and quantities: an arbitrary
// precision integer coefficient and a scale (digits after the decimal point),
// so 0.30 is 30 with scale 2. Arithmetic never goes through float64: 0.1+0.2
// is exactly 0.3. The zero value is 0. Decimals are immutable values.
//
// The scale is kept the way accounting expects it: a sum has the larger scale
// of its operands (1.10 + 2 = 3.10), a product the sum of the scales
// (19.99 * 3 = 59.97), and Round/dec_round sets the scale to the requested
// number of places (dec_round(1.5, 2) = 1.50). Equality and ordering compare
// values, not representations: 0.30 == 0.3.
//
// Decimal marshals to JSON as a bare number with its exact digits (0.30),
// unmarshals from a JSON number or a numeric string, and String gives the
// same digits.
type Decimal struct {
	coef  *big.Int // unscaled value; nil means 0; never modified once set
	scale int32    // digits after the decimal point, >= 0
}

// RoundingMode selects how Round and Quo discard digits.
type RoundingMode int

const (
	// HalfUp rounds to nearest, ties away from zero (1.005 -> 1.01, -2.5 -> -3).
	HalfUp RoundingMode = iota
	// HalfEven rounds to nearest, ties to the even neighbour (banker's rounding: 2.5 -> 2, 3.5 -> 4).
	HalfEven
	// Down truncates toward zero (1.999 -> 1.99, -1.999 -> -1.99).
	Down
	// Up rounds away from zero (1.001 -> 1.01, -1.001 -> -1.01).
	Up
)

var roundingModes = map[string]RoundingMode{"half_up": HalfUp, "half_even": HalfEven, "down": Down, "up": Up}

// ParseRoundingMode parses "half_up", "half_even", "down" or "up".
func ParseRoundingMode(s string) (RoundingMode, error) {
	if m, ok := roundingModes[s]; ok {
		return m, nil
	}
	return 0, fmt.Errorf("unknown rounding mode %q (want half_up, half_even, down or up)", s)
}

const (
	// maxExponent bounds the exponent accepted by ParseDecimal, so "1e999999999"
	// cannot allocate a billion-digit number.
	maxExponent = 10000
	// maxPlaces bounds the places argument of rounding and division.
	maxPlaces = 1000
	// quoExtraPlaces is how many places beyond the operands' scale the /
	// operator (dec_quo) keeps before trimming trailing zeros.
	quoExtraPlaces = 16
)

var (
	bigZero   = new(big.Int)
	pow10tab  [64]*big.Int
	errDivZro = errors.New("division by zero")
)

func init() {
	p := big.NewInt(1)
	for i := range pow10tab {
		pow10tab[i] = new(big.Int).Set(p)
		p.Mul(p, big.NewInt(10))
	}
}

// pow10 returns 10**n; the result may be shared and must not be modified.
func pow10(n int) *big.Int {
	if n < len(pow10tab) {
		return pow10tab[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

func (d Decimal) c() *big.Int {
	if d.coef == nil {
		return bigZero
	}
	return d.coef
}

// rescaled returns the coefficient of d at scale s >= d.scale.
func (d Decimal) rescaled(s int32) *big.Int {
	if s == d.scale {
		return d.c()
	}
	return new(big.Int).Mul(d.c(), pow10(int(s-d.scale)))
}

func newDecimal(coef *big.Int, scale int) Decimal {
	if scale < 0 {
		coef = new(big.Int).Mul(coef, pow10(-scale))
		scale = 0
	}
	return Decimal{coef: coef, scale: int32(scale)}
}

// ParseDecimal parses a decimal number: an optional sign, digits with an
// optional decimal point, and an optional exponent ("-12.50", ".5", "1e3",
// "2.5E-2"). Surrounding white space is ignored; thousands separators are not
// accepted.
func ParseDecimal(s string) (Decimal, error) {
	d, ok := parseDecimal(strings.TrimSpace(s))
	if !ok {
		return Decimal{}, fmt.Errorf("cannot parse %q as a decimal", s)
	}
	return d, nil
}

func parseDecimal(s string) (Decimal, bool) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > maxExponent || e < -maxExponent {
			return Decimal{}, false
		}
		exp = e
	}
	neg := false
	if mant != "" && (mant[0] == '+' || mant[0] == '-') {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	intPart, fracPart, _ := strings.Cut(mant, ".")
	if intPart == "" && fracPart == "" {
		return Decimal{}, false
	}
	for _, part := range [2]string{intPart, fracPart} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return Decimal{}, false
			}
		}
	}
	var coef *big.Int
	if len(intPart)+len(fracPart) <= 18 { // fits in int64: no string building
		var n int64
		for _, part := range [2]string{intPart, fracPart} {
			for i := 0; i < len(part); i++ {
				n = n*10 + int64(part[i]-'0')
			}
		}
		coef = big.NewInt(n)
	} else {
		coef, _ = new(big.Int).SetString(intPart+fracPart, 10)
	}
	if neg {
		coef.Neg(coef)
	}
	return newDecimal(coef, len(fracPart)-exp), true
}

// MustDecimal is ParseDecimal that panics on error, for constants in Go code.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromInt returns n as a Decimal with scale 0.
func DecimalFromInt(n int64) Decimal { return Decimal{coef: big.NewInt(n)} }

// DecimalFromFloat converts f through its shortest decimal representation
// (strconv.FormatFloat(f, 'f', -1, 64)), so DecimalFromFloat(0.1) is exactly
// 0.1, not 0.1000000000000000055511151231257827.
func DecimalFromFloat(f float64) (Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, fmt.Errorf("cannot convert %v to a decimal", f)
	}
	d, _ := parseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
	return d, nil
}

// toDecimal converts a Decimal, number, json.Number or numeric string.
func toDecimal(v any) (Decimal, error) {
	switch x := v.(type) {
	case Decimal:
		return x, nil
	case *Decimal:
		if x != nil {
			return *x, nil
		}
	case string:
		return ParseDecimal(x)
	case json.Number:
		return ParseDecimal(string(x))
	case float64:
		return DecimalFromFloat(x)
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return Decimal{}, fmt.Errorf("cannot convert %v to a decimal", x)
		}
		d, _ := parseDecimal(strconv.FormatFloat(float64(x), 'f', -1, 32))
		return d, nil
	case int:
		return DecimalFromInt(int64(x)), nil
	case int8:
		return DecimalFromInt(int64(x)), nil
	case int16:
		return DecimalFromInt(int64(x)), nil
	case int32:
		return DecimalFromInt(int64(x)), nil
	case int64:
		return DecimalFromInt(x), nil
	case uint:
		return Decimal{coef: new(big.Int).SetUint64(uint64(x))}, nil
	case uint8:
		return DecimalFromInt(int64(x)), nil
	case uint16:
		return DecimalFromInt(int64(x)), nil
	case uint32:
		return DecimalFromInt(int64(x)), nil
	case uint64:
		return Decimal{coef: new(big.Int).SetUint64(x)}, nil
	}
	return Decimal{}, fmt.Errorf("cannot convert %s to a decimal", describe(v))
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.c().Sign() }

// IsZero reports whether d is 0 (at any scale).
func (d Decimal) IsZero() bool { return d.Sign() == 0 }

// Scale returns the number of digits after the decimal point.
func (d Decimal) Scale() int { return int(d.scale) }

// Neg returns -d.
func (d Decimal) Neg() Decimal {
	return Decimal{coef: new(big.Int).Neg(d.c()), scale: d.scale}
}

// Abs returns |d|.
func (d Decimal) Abs() Decimal {
	if d.Sign() >= 0 {
		return d
	}
	return d.Neg()
}

// Add returns d + e, with the larger scale of the two.
func (d Decimal) Add(e Decimal) Decimal {
	s := max(d.scale, e.scale)
	return Decimal{coef: new(big.Int).Add(d.rescaled(s), e.rescaled(s)), scale: s}
}

// Sub returns d - e, with the larger scale of the two.
func (d Decimal) Sub(e Decimal) Decimal {
	s := max(d.scale, e.scale)
	return Decimal{coef: new(big.Int).Sub(d.rescaled(s), e.rescaled(s)), scale: s}
}

// Mul returns d * e exactly; its scale is the sum of the scales.
func (d Decimal) Mul(e Decimal) Decimal {
	return Decimal{coef: new(big.Int).Mul(d.c(), e.c()), scale: d.scale + e.scale}
}

// Cmp compares values: -1 if d < e, 0 if d == e (0.30 == 0.3), +1 if d > e.
func (d Decimal) Cmp(e Decimal) int {
	if d.scale == e.scale {
		return d.c().Cmp(e.c())
	}
	if ds, es := d.Sign(), e.Sign(); ds != es {
		if ds < es {
			return -1
		}
		return 1
	}
	s := max(d.scale, e.scale)
	return d.rescaled(s).Cmp(e.rescaled(s))
}

// Equal reports whether d and e have the same value.
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// roundQuo returns num/den rounded to an integer with mode.
func roundQuo(num, den *big.Int, mode RoundingMode) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	sign := int64(num.Sign() * den.Sign())
	away := false
	switch mode {
	case Down:
	case Up:
		away = true
	default:
		r2 := r.Abs(r).Lsh(r, 1)
		c := r2.CmpAbs(den)
		away = c > 0 || (c == 0 && (mode == HalfUp || q.Bit(0) == 1))
	}
	if away {
		q.Add(q, big.NewInt(sign))
	}
	return q
}

// Round rounds d to places digits after the decimal point (negative places
// round to tens, hundreds, ...). The result has scale max(places, 0), padding
// with zeros if d has fewer digits: Round(1.5, 2, HalfUp) is 1.50.
func (d Decimal) Round(places int, mode RoundingMode) Decimal {
	if places >= int(d.scale) {
		return Decimal{coef: d.rescaled(int32(places)), scale: int32(places)}
	}
	q := roundQuo(d.c(), pow10(int(d.scale)-places), mode)
	return newDecimal(q, places)
}

// Quo returns d / e rounded to places digits after the decimal point with
// mode; it fails only when e is zero.
func (d Decimal) Quo(e Decimal, places int, mode RoundingMode) (Decimal, error) {
	if e.IsZero() {
		return Decimal{}, errDivZro
	}
	num, den := d.c(), e.c()
	if x := int(e.scale) + places - int(d.scale); x >= 0 {
		num = new(big.Int).Mul(num, pow10(x))
	} else {
		den = new(big.Int).Mul(den, pow10(-x))
	}
	return newDecimal(roundQuo(num, den, mode), places), nil
}

// trimZeros removes trailing fractional zeros while the scale exceeds min.
func (d Decimal) trimZeros(min int32) Decimal {
	if d.scale <= min {
		return d
	}
	if d.IsZero() {
		return Decimal{coef: bigZero, scale: min}
	}
	c := new(big.Int).Set(d.c())
	s := d.scale
	q, r := new(big.Int), new(big.Int)
	ten := big.NewInt(10)
	for s > min {
		q.QuoRem(c, ten, r)
		if r.Sign() != 0 {
			break
		}
		c, q = q, c
		s--
	}
	return Decimal{coef: c, scale: s}
}

// QuoDefault is the / operator: d / e with quoExtraPlaces (16) more digits
// than the larger operand scale, rounded half-up, then trailing zeros trimmed
// back to that scale: 1/4 = 0.25, 10.00/4 = 2.50, 1/3 = 0.3333333333333333.
func (d Decimal) QuoDefault(e Decimal) (Decimal, error) {
	s := max(d.scale, e.scale)
	q, err := d.Quo(e, int(s)+quoExtraPlaces, HalfUp)
	if err != nil {
		return q, err
	}
	return q.trimZeros(s), nil
}

// String returns the exact digits, e.g. "-0.30" or "1250".
func (d Decimal) String() string {
	c := d.c()
	digits := c.Text(10)
	neg := c.Sign() < 0
	if neg {
		digits = digits[1:]
	}
	if s := int(d.scale); s > 0 {
		if len(digits) <= s {
			digits = strings.Repeat("0", s-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-s] + "." + digits[len(digits)-s:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// StringFixed returns d rounded half-up to places (>= 0) digits after the
// point, always with exactly that many digits: StringFixed(2) of 1.5 is "1.50".
func (d Decimal) StringFixed(places int) string {
	return d.Round(max(places, 0), HalfUp).String()
}

// Float64 returns the float64 nearest to d (±Inf if out of range).
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// MarshalJSON writes d as a JSON number with its exact digits: 0.30, not
// "0.30" and not 0.3.
func (d Decimal) MarshalJSON() ([]byte, error) {
	return []byte(d.String()), nil
}

// AppendJSON appends the JSON number (codec.JSONAppender).
func (d Decimal) AppendJSON(b []byte) ([]byte, error) {
	return append(b, d.String()...), nil
}

// UnmarshalJSON reads a JSON number or a string holding a number; null leaves
// d unchanged.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ---- expr functions ----

func argDecimal(fn, param string, v any) (Decimal, error) {
	d, err := toDecimal(v)
	if err == nil {
		return d, nil
	}
	switch v.(type) {
	case string, json.Number, float64, float32:
		return Decimal{}, fmt.Errorf("%s: %s: %v", fn, param, err)
	}
	return Decimal{}, argErr(fn, param, "a Decimal, a number or a numeric string", v)
}

func argPlaces(fn string, v any) (int, error) {
	p, err := argInt(fn, "places", v)
	if err != nil {
		return 0, err
	}
	if p > maxPlaces || p < -maxPlaces {
		return 0, fmt.Errorf("%s: places %d out of range (-%d to %d)", fn, p, maxPlaces, maxPlaces)
	}
	return p, nil
}

// decPairTypes declares a binary Decimal function: Decimal with Decimal, int
// or float64 on either side. Operator overloading matches these exactly, so
// price * 3 and 1.5 + price work, and 1 + 2 is left alone. Int overloads
// come before float64 ones: the checker turns an int literal into a float if
// a float64 overload is tried first.
func decPairTypes[R any]() []any {
	return []any{
		new(func(Decimal, Decimal) R),
		new(func(Decimal, int) R),
		new(func(int, Decimal) R),
		new(func(Decimal, float64) R),
		new(func(float64, Decimal) R),
	}
}

func decPair(name string, op func(a, b Decimal) (any, error)) func(p ...any) (any, error) {
	return arity(name, 2, 2, func(p ...any) (any, error) {
		a, err := argDecimal(name, "a", p[0])
		if err != nil {
			return nil, err
		}
		b, err := argDecimal(name, "b", p[1])
		if err != nil {
			return nil, err
		}
		return op(a, b)
	})
}

func decCompare(name, sym, doc, example string, ok func(c int) bool) Func {
	return Func{
		Name:      name,
		Signature: name + "(a Decimal, b Decimal) bool",
		Doc:       doc + " (the " + sym + " operator on Decimal operands).",
		Example:   example,
		Fn:        decPair(name, func(a, b Decimal) (any, error) { return ok(a.Cmp(b)), nil }),
		Types:     decPairTypes[bool](),
	}
}

func decUnary(name string, op func(d Decimal) (any, error)) func(p ...any) (any, error) {
	return arity(name, 1, 1, func(p ...any) (any, error) {
		d, err := argDecimal(name, "d", p[0])
		if err != nil {
			return nil, err
		}
		return op(d)
	})
}

func decimalFuncs() []Func {
	return []Func{
		{
			Name:      "dec",
			Signature: "dec(x string|int|float|Decimal) Decimal",
			Doc:       "Exact decimal from a numeric string, an integer or a float (through its shortest representation, so dec(0.1) is exactly 0.1).",
			Example:   `dec('19.99')`,
			Fn: arity("dec", 1, 1, func(p ...any) (any, error) {
				d, err := toDecimal(p[0])
				if err != nil {
					return nil, fmt.Errorf("dec: %v", err)
				}
				return d, nil
			}),
			Types: []any{
				new(func(string) Decimal),
				new(func(int) Decimal),
				new(func(float64) Decimal),
				new(func(Decimal) Decimal),
			},
		},
		{
			Name:      "dec_add",
			Signature: "dec_add(a Decimal, b Decimal) Decimal",
			Doc:       "Exact sum a + b, with the larger scale of the two (also the + operator on Decimal operands).",
			Example:   `dec_add(dec('0.1'), dec('0.2'))`,
			Fn:        decPair("dec_add", func(a, b Decimal) (any, error) { return a.Add(b), nil }),
			Types:     decPairTypes[Decimal](),
		},
		{
			Name:      "dec_sub",
			Signature: "dec_sub(a Decimal, b Decimal) Decimal",
			Doc:       "Exact difference a - b, with the larger scale of the two (also the - operator on Decimal operands).",
			Example:   `dec_sub(dec('10.00'), dec('0.01'))`,
			Fn:        decPair("dec_sub", func(a, b Decimal) (any, error) { return a.Sub(b), nil }),
			Types:     decPairTypes[Decimal](),
		},
		{
			Name:      "dec_mul",
			Signature: "dec_mul(a Decimal, b Decimal) Decimal",
			Doc:       "Exact product a * b, whose scale is the sum of the scales (also the * operator on Decimal operands).",
			Example:   `dec_mul(dec('19.99'), 3)`,
			Fn:        decPair("dec_mul", func(a, b Decimal) (any, error) { return a.Mul(b), nil }),
			Types:     decPairTypes[Decimal](),
		},
		{
			Name:      "dec_div",
			Signature: "dec_div(a Decimal, b Decimal, places int) Decimal",
			Doc:       "Quotient a / b rounded half-up (ties away from zero) to places digits after the point; dividing by zero is an error.",
			Example:   `dec_div(dec('10'), dec('3'), 2)`,
			Fn: arity("dec_div", 3, 3, func(p ...any) (any, error) {
				a, err := argDecimal("dec_div", "a", p[0])
				if err != nil {
					return nil, err
				}
				b, err := argDecimal("dec_div", "b", p[1])
				if err != nil {
					return nil, err
				}
				places, err := argPlaces("dec_div", p[2])
				if err != nil {
					return nil, err
				}
				q, err := a.Quo(b, places, HalfUp)
				if err != nil {
					return nil, fmt.Errorf("dec_div: %v", err)
				}
				return q, nil
			}),
			Types: []any{
				new(func(Decimal, Decimal, int) Decimal),
				new(func(Decimal, int, int) Decimal),
				new(func(int, Decimal, int) Decimal),
				new(func(Decimal, float64, int) Decimal),
				new(func(float64, Decimal, int) Decimal),
			},
		},
		{
			Name:      "dec_quo",
			Signature: "dec_quo(a Decimal, b Decimal) Decimal",
			Doc:       "Quotient a / b with 16 more digits than the larger operand scale, rounded half-up, trailing zeros trimmed back to that scale (the / operator on Decimal operands; use dec_div to choose the places).",
			Example:   `dec_quo(dec('10.00'), 4)`,
			Fn: decPair("dec_quo", func(a, b Decimal) (any, error) {
				q, err := a.QuoDefault(b)
				if err != nil {
					return nil, fmt.Errorf("dec_quo: %v", err)
				}
				return q, nil
			}),
			Types: decPairTypes[Decimal](),
		},
		{
			Name:      "dec_round",
			Signature: "dec_round(d Decimal, places int[, mode string]) Decimal",
			Doc:       "d rounded to places digits after the point (padding with zeros if it has fewer) with mode half_up (default, ties away from zero), half_even (banker's), down (toward zero) or up (away from zero).",
			Example:   `dec_round(dec('2.345'), 2, 'half_even')`,
			Fn: arity("dec_round", 2, 3, func(p ...any) (any, error) {
				d, err := argDecimal("dec_round", "d", p[0])
				if err != nil {
					return nil, err
				}
				places, err := argPlaces("dec_round", p[1])
				if err != nil {
					return nil, err
				}
				mode := HalfUp
				if len(p) == 3 {
					s, err := argString("dec_round", "mode", p[2])
					if err != nil {
						return nil, err
					}
					if mode, err = ParseRoundingMode(s); err != nil {
						return nil, fmt.Errorf("dec_round: %v", err)
					}
				}
				return d.Round(places, mode), nil
			}),
			Types: []any{
				new(func(Decimal, int) Decimal),
				new(func(Decimal, int, string) Decimal),
			},
		},
		{
			Name:      "dec_cmp",
			Signature: "dec_cmp(a Decimal, b Decimal) int",
			Doc:       "-1 if a < b, 0 if they are equal in value (0.30 and 0.3 are), +1 if a > b.",
			Example:   `dec_cmp(dec('0.30'), dec('0.3'))`,
			Fn:        decPair("dec_cmp", func(a, b Decimal) (any, error) { return a.Cmp(b), nil }),
			Types:     decPairTypes[int](),
		},
		decCompare("dec_eq", "==", "Whether a and b are equal in value", `dec_eq(dec('0.30'), dec('0.3'))`, func(c int) bool { return c == 0 }),
		decCompare("dec_ne", "!=", "Whether a and b differ in value", `dec_ne(dec('0.30'), dec('0.3'))`, func(c int) bool { return c != 0 }),
		decCompare("dec_lt", "<", "Whether a < b", `dec_lt(dec('0.1'), dec('0.2'))`, func(c int) bool { return c < 0 }),
		decCompare("dec_le", "<=", "Whether a <= b", `dec_le(dec('0.2'), dec('0.20'))`, func(c int) bool { return c <= 0 }),
		decCompare("dec_gt", ">", "Whether a > b", `dec_gt(dec('0.1'), dec('0.2'))`, func(c int) bool { return c > 0 }),
		decCompare("dec_ge", ">=", "Whether a >= b", `dec_ge(dec('0.2'), dec('0.20'))`, func(c int) bool { return c >= 0 }),
		{
			Name:      "dec_str",
			Signature: "dec_str(d Decimal[, places int]) string",
			Doc:       "The exact digits of d, or with places, d rounded half-up to exactly that many digits after the point.",
			Example:   `dec_str(dec('59.9'), 2)`,
			Fn: arity("dec_str", 1, 2, func(p ...any) (any, error) {
				d, err := argDecimal("dec_str", "d", p[0])
				if err != nil {
					return nil, err
				}
				if len(p) == 1 {
					return d.String(), nil
				}
				places, err := argPlaces("dec_str", p[1])
				if err != nil {
					return nil, err
				}
				if places < 0 {
					return nil, fmt.Errorf("dec_str: places must not be negative, got %d", places)
				}
				return d.StringFixed(places), nil
			}),
			Types: []any{
				new(func(Decimal) string),
				new(func(Decimal, int) string),
			},
		},
		{
			Name:      "dec_float",
			Signature: "dec_float(d Decimal) float",
			Doc:       "The float64 nearest to d, for APIs that want a plain number.",
			Example:   `dec_float(dec('0.3'))`,
			Fn:        decUnary("dec_float", func(d Decimal) (any, error) { return d.Float64(), nil }),
			Types:     []any{new(func(Decimal) float64)},
		},
		{
			Name:      "dec_abs",
			Signature: "dec_abs(d Decimal) Decimal",
			Doc:       "The absolute value of d.",
			Example:   `dec_abs(dec('-4.20'))`,
			Fn:        decUnary("dec_abs", func(d Decimal) (any, error) { return d.Abs(), nil }),
			Types:     []any{new(func(Decimal) Decimal)},
		},
		{
			Name:      "dec_neg",
			Signature: "dec_neg(d Decimal) Decimal",
			Doc:       "-d (expr's unary minus does not apply to Decimal).",
			Example:   `dec_neg(dec('4.20'))`,
			Fn:        decUnary("dec_neg", func(d Decimal) (any, error) { return d.Neg(), nil }),
			Types:     []any{new(func(Decimal) Decimal)},
		},
		{
			Name:      "dec_sum",
			Signature: "dec_sum(xs array) Decimal",
			Doc:       "Exact sum of a list of Decimals, numbers or numeric strings (0 for an empty list); nil elements are an error.",
			Example:   `dec_sum(['0.10', '0.20', 0.3])`,
			Fn: arity("dec_sum", 1, 1, func(p ...any) (any, error) {
				xs, ok := p[0].([]any)
				if !ok {
					if ds, ok := p[0].([]Decimal); ok {
						xs = make([]any, len(ds))
						for i, d := range ds {
							xs[i] = d
						}
					} else {
						return nil, argErr("dec_sum", "xs", "a list", p[0])
					}
				}
				acc, scale, tmp := new(big.Int), int32(0), new(big.Int)
				for i, x := range xs {
					d, err := argDecimal("dec_sum", fmt.Sprintf("element %d", i), x)
					if err != nil {
						return nil, err
					}
					if d.scale > scale {
						acc.Mul(acc, pow10(int(d.scale-scale)))
						scale = d.scale
					}
					if d.scale == scale {
						acc.Add(acc, d.c())
					} else {
						acc.Add(acc, tmp.Mul(d.c(), pow10(int(scale-d.scale))))
					}
				}
				return Decimal{coef: acc, scale: scale}, nil
			}),
			Types: []any{new(func([]any) Decimal)},
		},
	}
}
