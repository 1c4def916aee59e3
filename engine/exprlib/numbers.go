package exprlib

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
)

// RoundTo rounds x to places digits after the decimal point (negative places
// round to tens, hundreds, ...), ties away from zero, working on x's shortest
// decimal representation: RoundTo(1.005, 2) is 1.01 although the float64
// nearest 1.005 is slightly below it. NaN and infinities are returned as is.
func RoundTo(x float64, places int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	d, _ := DecimalFromFloat(x)
	if places >= d.Scale() {
		return x
	}
	return d.Round(places, HalfUp).Float64()
}

// ---- units ----

type unit struct {
	dim    string
	factor *big.Rat // size in the dimension's base unit (kg, m, m3), exact
}

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("exprlib: bad unit factor " + s)
	}
	return r
}

// units holds exact definitions: the international pound is 0.45359237 kg,
// the international foot 0.3048 m, the US liquid gallon 231 in³ =
// 3.785411784 l.
var units = map[string]unit{
	"kg":  {"mass", rat("1")},
	"g":   {"mass", rat("0.001")},
	"lb":  {"mass", rat("0.45359237")},
	"lbs": {"mass", rat("0.45359237")},
	"oz":  {"mass", rat("0.028349523125")}, // lb/16
	"t":   {"mass", rat("1000")},           // metric tonne
	"m":   {"length", rat("1")},
	"cm":  {"length", rat("0.01")},
	"mm":  {"length", rat("0.001")},
	"km":  {"length", rat("1000")},
	"in":  {"length", rat("0.0254")},
	"ft":  {"length", rat("0.3048")},
	"yd":  {"length", rat("0.9144")},
	"mi":  {"length", rat("1609.344")},
	"m3":  {"volume", rat("1")},
	"l":   {"volume", rat("0.001")},
	"ml":  {"volume", rat("0.000001")},
	"ft3": {"volume", rat("0.028316846592")}, // 0.3048³
	"gal": {"volume", rat("0.003785411784")}, // US liquid gallon
}

const knownUnits = "mass kg, g, lb (lbs), oz, t; length m, cm, mm, km, in, ft, yd, mi; volume m3, l, ml, ft3, gal"

var ratioCache sync.Map // "from\x00to" -> *big.Rat

func unitRatio(from, to string) (*big.Rat, error) {
	lf, lt := strings.ToLower(from), strings.ToLower(to)
	key := lf + "\x00" + lt
	if r, ok := ratioCache.Load(key); ok {
		return r.(*big.Rat), nil
	}
	uf, ok := units[lf]
	if !ok {
		return nil, fmt.Errorf("unknown unit %q (known: %s)", from, knownUnits)
	}
	ut, ok := units[lt]
	if !ok {
		return nil, fmt.Errorf("unknown unit %q (known: %s)", to, knownUnits)
	}
	if uf.dim != ut.dim {
		return nil, fmt.Errorf("cannot convert %q (%s) to %q (%s)", from, uf.dim, to, ut.dim)
	}
	r := new(big.Rat).Quo(uf.factor, ut.factor)
	ratioCache.Store(key, r)
	return r, nil
}

// Convert converts value between units of mass, length or volume. The factor
// is exact and applied to value's shortest decimal representation, so the
// result is the float64 nearest the exact answer: 5 ft is 60 in, 1 lb is
// 0.45359237 kg.
func Convert(value float64, from, to string) (float64, error) {
	r, err := unitRatio(from, to)
	if err != nil {
		return 0, err
	}
	if r.Cmp(ratOne) == 0 || value == 0 || math.IsNaN(value) || math.IsInf(value, 0) {
		return value, nil
	}
	v, ok := new(big.Rat).SetString(strconv.FormatFloat(value, 'g', -1, 64))
	if !ok {
		return 0, fmt.Errorf("cannot convert %v", value)
	}
	f, _ := v.Mul(v, r).Float64()
	return f, nil
}

var ratOne = big.NewRat(1, 1)

func numberFuncs() []Func {
	conv := func(name, from, to, example string) Func {
		return Func{
			Name:      name,
			Signature: name + "(x number) float",
			Doc:       fmt.Sprintf("x converted from %s to %s (exact factor), like convert(x, '%s', '%s').", from, to, from, to),
			Example:   example,
			Fn: arity(name, 1, 1, func(p ...any) (any, error) {
				x, err := argFloat(name, "x", p[0])
				if err != nil {
					return nil, err
				}
				return Convert(x, from, to)
			}),
			Types: []any{new(func(float64) float64)},
		}
	}
	return []Func{
		{
			Name:      "round_to",
			Signature: "round_to(x number, places int) float",
			Doc:       "x rounded to places digits after the point, ties away from zero, on x's shortest decimal form (round_to(1.005, 2) = 1.01); negative places round to tens, hundreds, ...",
			Example:   `round_to(2.345, 2)`,
			Fn: arity("round_to", 2, 2, func(p ...any) (any, error) {
				x, err := argFloat("round_to", "x", p[0])
				if err != nil {
					return nil, err
				}
				places, err := argPlaces("round_to", p[1])
				if err != nil {
					return nil, err
				}
				return RoundTo(x, places), nil
			}),
			Types: []any{new(func(float64, int) float64)},
		},
		{
			Name:      "convert",
			Signature: "convert(value number, from string, to string) float",
			Doc:       "value converted between units of mass (" + "kg, g, lb, oz, t), length (m, cm, mm, km, in, ft, yd, mi) or volume (m3, l, ml, ft3, US gal) with exact factors; unknown or incompatible units are an error.",
			Example:   `convert(12, 'lb', 'kg')`,
			Fn: arity("convert", 3, 3, func(p ...any) (any, error) {
				v, err := argFloat("convert", "value", p[0])
				if err != nil {
					return nil, err
				}
				from, err := argString("convert", "from", p[1])
				if err != nil {
					return nil, err
				}
				to, err := argString("convert", "to", p[2])
				if err != nil {
					return nil, err
				}
				f, err := Convert(v, from, to)
				if err != nil {
					return nil, fmt.Errorf("convert: %v", err)
				}
				return f, nil
			}),
			Types: []any{new(func(float64, string, string) float64)},
		},
		conv("kg_to_lb", "kg", "lb", `kg_to_lb(10)`),
		conv("lb_to_kg", "lb", "kg", `lb_to_kg(22.5)`),
		conv("m_to_ft", "m", "ft", `m_to_ft(2.4)`),
		conv("ft_to_m", "ft", "m", `ft_to_m(40)`),
	}
}
