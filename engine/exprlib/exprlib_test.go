package exprlib_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/flowctl/flowctl/engine/exprlib"
)

// typedEnv is the compile-time environment, the way the engine builds it.
var typedEnv = types.Map{
	"record": types.Map{
		"weight":  types.Float64,
		"qty":     types.Int,
		"price":   types.TypeOf(exprlib.Decimal{}),
		"amount":  types.String,
		"code":    types.String,
		"note":    types.Any,
		"ts":      types.TypeOf(time.Time{}),
		"pattern": types.String,
		"lines":   types.Array(types.Map{"amount": types.String}),
		"tags":    types.Array(types.String),
	},
}

func record() map[string]any {
	return map[string]any{"record": map[string]any{
		"weight":  12.5,
		"qty":     3,
		"price":   exprlib.MustDecimal("19.99"),
		"amount":  "0.10",
		"code":    "NL-1012AB",
		"note":    nil,
		"ts":      time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC), // a Friday
		"pattern": "[0-9]+",
		"lines": []any{
			map[string]any{"amount": "0.10"},
			map[string]any{"amount": "0.20"},
			map[string]any{"amount": "0.05"},
		},
		"tags": []any{},
	}}
}

func compile(t testing.TB, src string) *vm.Program {
	t.Helper()
	p, err := expr.Compile(src, append(exprlib.Options(), expr.Env(typedEnv))...)
	if err != nil {
		t.Fatalf("compile %s: %v", src, err)
	}
	return p
}

// dec marks an expected Decimal result by its exact digits.
type dec string

type tcase struct {
	src  string
	want any    // exact result; a dec is compared with Decimal.String
	err  string // when set, the run must fail with exactly this message
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			p := compile(t, c.src)
			out, err := expr.Run(p, record())
			if c.err != "" {
				var fe *file.Error
				if !errors.As(err, &fe) {
					t.Fatalf("got %#v, %v; want error %q", out, err, c.err)
				}
				if fe.Message != c.err {
					t.Fatalf("error\n got %q\nwant %q", fe.Message, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if want, ok := c.want.(dec); ok {
				d, ok := out.(exprlib.Decimal)
				if !ok || d.String() != string(want) {
					t.Fatalf("got %T %v, want Decimal %s", out, out, want)
				}
				return
			}
			if !reflect.DeepEqual(out, c.want) {
				t.Fatalf("got %T %#v, want %T %#v", out, out, c.want, c.want)
			}
		})
	}
}

func TestTime(t *testing.T) {
	const iso = `'2006-01-02T15:04:05Z07:00'`
	runCases(t, []tcase{
		// Europe/Amsterdam springs forward on 2026-03-29 at 01:00 UTC (02:00 CET -> 03:00 CEST).
		{src: `format_time(in_tz(date('2026-03-29T00:59:59Z'), 'Europe/Amsterdam'), ` + iso + `)`, want: "2026-03-29T01:59:59+01:00"},
		{src: `format_time(in_tz(date('2026-03-29T01:00:00Z'), 'Europe/Amsterdam'), ` + iso + `)`, want: "2026-03-29T03:00:00+02:00"},
		{src: `format_time(date('2026-03-29T01:30:00Z'), '2006-01-02 15:04 MST', 'Europe/Amsterdam')`, want: "2026-03-29 03:30 CEST"},
		// and falls back on 2026-10-25 at 01:00 UTC.
		{src: `format_time(date('2026-10-25T00:30:00Z'), 'iso8601', 'Europe/Amsterdam')`, want: "2026-10-25T02:30:00+02:00"},
		{src: `format_time(date('2026-10-25T01:30:00Z'), 'iso8601', 'Europe/Amsterdam')`, want: "2026-10-25T02:30:00+01:00"},
		{src: `format_time(to_utc(parse_time('28/03/2026 12:00', '02/01/2006 15:04', 'Europe/Amsterdam')), 'rfc3339')`, want: "2026-03-28T11:00:00Z"},
		{src: `format_time(to_utc(parse_time('29/03/2026 12:00', '02/01/2006 15:04', 'Europe/Amsterdam')), 'rfc3339')`, want: "2026-03-29T10:00:00Z"},
		{src: `format_time(to_utc(date('2026-10-25T02:30:00+02:00')), 'iso8601')`, want: "2026-10-25T00:30:00Z"},
		// add_days keeps the wall-clock time, so the DST day is 23 hours long.
		{src: `format_time(add_days(parse_time('2026-03-28 12:00', '2006-01-02 15:04', 'Europe/Amsterdam'), 1), '2006-01-02 15:04 MST')`, want: "2026-03-29 12:00 CEST"},
		{src: `let t = parse_time('2026-03-28 12:00', '2006-01-02 15:04', 'Europe/Amsterdam'); add_days(t, 1) - t`, want: 23 * time.Hour},
		{src: `format_time(add_days(date('2026-03-01T10:00:00Z'), -1), 'iso8601')`, want: "2026-02-28T10:00:00Z"},
		{src: `format_time(start_of_day(date('2026-03-29T22:30:00Z'), 'Europe/Amsterdam'), 'iso8601')`, want: "2026-03-30T00:00:00+02:00"},
		{src: `format_time(start_of_day(date('2026-03-29T22:30:00Z')), 'iso8601')`, want: "2026-03-29T00:00:00Z"},
		// ISO 8601 parsing variants; a time without offset is read in tz.
		{src: `format_time(parse_time('2026-03-29T03:30:00+02:00', 'iso8601'), 'iso8601', 'UTC')`, want: "2026-03-29T01:30:00Z"},
		{src: `format_time(parse_time('2026-03-29T12:00', 'iso8601', 'Europe/Amsterdam'), 'iso8601')`, want: "2026-03-29T12:00:00+02:00"},
		{src: `format_time(parse_time('2026-03-29', 'ISO8601'), 'iso8601')`, want: "2026-03-29T00:00:00Z"},
		{src: `format_time(parse_time('20260329T120000Z', 'iso8601'), 'iso8601')`, want: "2026-03-29T12:00:00Z"},
		{src: `format_time(parse_time('2026-03-29T12:00:00.250Z', 'rfc3339'), 'iso8601', '-05:30')`, want: "2026-03-29T06:30:00.25-05:30"},
		{src: `format_time(parse_time('2026-03-29 12:00', '2006-01-02 15:04', '+02:00'), 'iso8601', 'UTC')`, want: "2026-03-29T10:00:00Z"},
		{src: `record.ts == parse_time('2026-03-06T09:00:00Z', 'iso8601')`, want: true},
		// Business days: record.ts is Friday 2026-03-06.
		{src: `format_time(add_business_days(record.ts, 1), '2006-01-02 Mon 15:04')`, want: "2026-03-09 Mon 09:00"},
		{src: `format_time(add_business_days(record.ts, 5), '2006-01-02 Mon')`, want: "2026-03-13 Fri"},
		{src: `format_time(add_business_days(record.ts, 6), '2006-01-02 Mon')`, want: "2026-03-16 Mon"},
		{src: `format_time(add_business_days(date('2026-03-09T09:00:00Z'), -1), '2006-01-02 Mon')`, want: "2026-03-06 Fri"},
		{src: `format_time(add_business_days(date('2026-03-07T09:00:00Z'), 1), '2006-01-02 Mon')`, want: "2026-03-09 Mon"},
		{src: `format_time(add_business_days(date('2026-03-08T09:00:00Z'), -1), '2006-01-02 Mon')`, want: "2026-03-06 Fri"},
		{src: `format_time(add_business_days(date('2026-03-07T09:00:00Z'), 0), '2006-01-02 Mon')`, want: "2026-03-07 Sat"},
		{src: `format_time(add_business_days(date('2026-03-04T09:00:00Z'), 23), '2006-01-02 Mon')`, want: "2026-04-06 Mon"},
		// Durations.
		{src: `parse_duration('PT2H30M') == duration('2h30m')`, want: true},
		{src: `parse_duration('PT2H30M')`, want: 150 * time.Minute},
		{src: `parse_duration('P1D')`, want: 24 * time.Hour},
		{src: `parse_duration('P1DT12H')`, want: 36 * time.Hour},
		{src: `parse_duration('P2W')`, want: 14 * 24 * time.Hour},
		{src: `parse_duration('PT0.5S')`, want: 500 * time.Millisecond},
		{src: `parse_duration('PT1,5H')`, want: 90 * time.Minute},
		{src: `parse_duration('-PT15M')`, want: -15 * time.Minute},
		{src: `parse_duration('2h30m')`, want: 150 * time.Minute},
		{src: `format_time(record.ts + parse_duration('P1DT2H'), 'iso8601')`, want: "2026-03-07T11:00:00Z"},
		{src: `days_between(date('2026-03-27'), date('2026-04-02'))`, want: 6},
		{src: `days_between(date('2026-04-02'), date('2026-03-27'))`, want: -6},
		{src: `days_between(date('2026-03-06T23:59:00Z'), date('2026-03-07T00:01:00Z'))`, want: 1},
		// 23 elapsed hours across the DST change are one calendar day.
		{src: `days_between(parse_time('2026-03-28 23:00', '2006-01-02 15:04', 'Europe/Amsterdam'), parse_time('2026-03-29 23:00', '2006-01-02 15:04', 'Europe/Amsterdam'))`, want: 1},
		// Errors.
		{src: `parse_time('31/02/2026', '02/01/2006')`, err: `parse_time: cannot parse "31/02/2026" with layout "02/01/2006" (day out of range)`},
		{src: `parse_time('2026/03/29', '02/01/2006')`, err: `parse_time: cannot parse "2026/03/29" with layout "02/01/2006" (expected "/" at "26/03/29")`},
		{src: `parse_time('2026-03-29', 'YYYY-MM-DD')`, err: `parse_time: layout "YYYY-MM-DD" is not a Go reference-time layout; write the reference time Mon Jan 2 15:04:05 MST 2006 in the wanted form, e.g. "2006-01-02" or "02/01/2006 15:04", or use "iso8601"`},
		{src: `format_time(record.ts, 'dd/MM/yyyy')`, err: `format_time: layout "dd/MM/yyyy" is not a Go reference-time layout; write the reference time Mon Jan 2 15:04:05 MST 2006 in the wanted form, e.g. "2006-01-02" or "02/01/2006 15:04", or use "iso8601"`},
		{src: `parse_time('yesterday', 'iso8601')`, err: `parse_time: cannot parse "yesterday" as ISO 8601 (e.g. "2026-03-29T02:30:00+01:00" or "2026-03-29")`},
		{src: `parse_time('2026-03-29 12:00', 'rfc3339')`, err: `parse_time: cannot parse "2026-03-29 12:00" as RFC 3339 (e.g. "2026-03-29T02:30:00Z")`},
		{src: `in_tz(record.ts, 'Europe/Amsterdamm')`, err: `in_tz: unknown time zone "Europe/Amsterdamm" (want an IANA name like "Europe/Amsterdam", "UTC" or an offset like "+02:00")`},
		{src: `parse_time('2026-03-29', 'iso8601', 'CEST')`, err: `parse_time: unknown time zone "CEST" (want an IANA name like "Europe/Amsterdam", "UTC" or an offset like "+02:00")`},
		{src: `start_of_day(record.ts, 'Local')`, err: `start_of_day: unknown time zone "Local" (want an IANA name like "Europe/Amsterdam", "UTC" or an offset like "+02:00")`},
		{src: `parse_duration('P1M')`, err: `parse_duration: "P1M": years and months have no fixed length; use days (P30D) or weeks (P4W)`},
		{src: `parse_duration('P1H')`, err: `parse_duration: cannot parse "P1H" as an ISO 8601 duration (e.g. "PT2H30M", "P1DT12H")`},
		{src: `parse_duration('PT')`, err: `parse_duration: cannot parse "PT" as an ISO 8601 duration (e.g. "PT2H30M", "P1DT12H")`},
		{src: `parse_duration('2 hours')`, err: `parse_duration: cannot parse "2 hours" as a duration (want Go style like "2h30m" or ISO 8601 like "PT2H30M")`},
		{src: `add_days(record.note, 1)`, err: `add_days: t must be a time, got nil`},
	})
}

// TestAddBusinessDaysNaive checks the week-jumping shortcut against counting
// day by day, from every weekday, for n in [-40, 40].
func TestAddBusinessDaysNaive(t *testing.T) {
	naive := func(d time.Time, n int) time.Time {
		step := 1
		if n < 0 {
			step, n = -1, -n
		}
		for n > 0 {
			d = d.AddDate(0, 0, step)
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				n--
			}
		}
		return d
	}
	ams, _ := exprlib.LoadTZ("Europe/Amsterdam")
	for day := 0; day < 7; day++ {
		start := time.Date(2026, 3, 21+day, 10, 0, 0, 0, ams) // spans the DST change
		for n := -40; n <= 40; n++ {
			if got, want := exprlib.AddBusinessDays(start, n), naive(start, n); !got.Equal(want) {
				t.Errorf("AddBusinessDays(%s, %d) = %s, want %s", start.Format("Mon 2006-01-02"), n, got, want)
			}
		}
	}
}

func TestDecimal(t *testing.T) {
	runCases(t, []tcase{
		// Float gets this wrong; Decimal does not.
		{src: `0.1 + 0.2 == 0.3`, want: false},
		{src: `dec('0.1') + dec('0.2') == dec('0.3')`, want: true},
		{src: `dec(0.1) + dec(0.2) == dec(0.3)`, want: true},
		{src: `dec('0.1') + dec('0.2')`, want: dec("0.3")},
		{src: `dec('0.1') + dec('0.2') != dec('0.3')`, want: false},
		{src: `dec(0.1)`, want: dec("0.1")},
		{src: `dec(1.1) * 3`, want: dec("3.3")},
		{src: `dec(42)`, want: dec("42")},
		{src: `dec('-1.50e2')`, want: dec("-150")},
		{src: `dec(' 2.5E-3 ')`, want: dec("0.0025")},
		{src: `dec('.5')`, want: dec("0.5")},
		{src: `dec(record.price)`, want: dec("19.99")},
		{src: `dec(record.weight)`, want: dec("12.5")},
		{src: `dec_round(dec('1.005'), 2)`, want: dec("1.01")},
		{src: `dec_round(dec(1.005), 2)`, want: dec("1.01")},
		{src: `dec('19.99') * 3`, want: dec("59.97")},
		{src: `record.price * record.qty`, want: dec("59.97")},
		{src: `record.qty * record.price`, want: dec("59.97")},
		{src: `dec_mul(record.price, record.qty) == dec('59.97')`, want: true},
		{src: `record.price * 1.5`, want: dec("29.985")},
		{src: `record.price - 0.99`, want: dec("19.00")},
		{src: `dec('1.10') + 2`, want: dec("3.10")},
		{src: `dec('10') - dec('0.01')`, want: dec("9.99")},
		{src: `dec_sum(map(record.lines, dec(.amount)))`, want: dec("0.35")},
		{src: `dec_sum(map(record.lines, .amount))`, want: dec("0.35")},
		{src: `dec_sum([])`, want: dec("0")},
		// #acc has no static type, so + is not overloaded there; dec_add works.
		{src: `reduce(record.lines, dec_add(#acc, dec(.amount)), dec(0))`, want: dec("0.35")},
		// Division.
		{src: `dec_div(dec('10'), dec('3'), 2)`, want: dec("3.33")},
		{src: `dec_div(dec('2'), 3, 2)`, want: dec("0.67")},
		{src: `dec_div(dec('-2'), 3, 2)`, want: dec("-0.67")},
		{src: `dec_div(dec('1'), dec('8'), 2)`, want: dec("0.13")},   // 0.125 half-up
		{src: `dec_div(dec('-1'), dec('8'), 2)`, want: dec("-0.13")}, // ties away from zero
		{src: `dec_div(dec('59.97'), 3, 2)`, want: dec("19.99")},
		{src: `dec_div(dec('1250'), 1, -2)`, want: dec("1300")},
		{src: `dec('10.00') / 4`, want: dec("2.50")},
		{src: `dec('1') / 4`, want: dec("0.25")},
		{src: `dec('1') / 3`, want: dec("0.3333333333333333")},
		{src: `dec('2') / dec('3')`, want: dec("0.6666666666666667")},
		{src: `record.price / 2`, want: dec("9.995")},
		{src: `dec('1') / 3 * 3 == dec(1)`, want: false},
		// Rounding modes; banker's rounding is half_even.
		{src: `dec_round(dec('2.345'), 2, 'half_even')`, want: dec("2.34")},
		{src: `dec_round(dec('2.355'), 2, 'half_even')`, want: dec("2.36")},
		{src: `dec_round(dec('2.5'), 0, 'half_even')`, want: dec("2")},
		{src: `dec_round(dec('3.5'), 0, 'half_even')`, want: dec("4")},
		{src: `dec_round(dec('-2.5'), 0, 'half_even')`, want: dec("-2")},
		{src: `dec_round(dec('2.3451'), 2, 'half_even')`, want: dec("2.35")},
		{src: `dec_round(dec('2.345'), 2)`, want: dec("2.35")},
		{src: `dec_round(dec('-2.5'), 0)`, want: dec("-3")},
		{src: `dec_round(dec('-2.5'), 0, 'half_up')`, want: dec("-3")},
		{src: `dec_round(dec('1.999'), 2, 'down')`, want: dec("1.99")},
		{src: `dec_round(dec('-1.999'), 2, 'down')`, want: dec("-1.99")},
		{src: `dec_round(dec('1.001'), 2, 'up')`, want: dec("1.01")},
		{src: `dec_round(dec('-1.001'), 2, 'up')`, want: dec("-1.01")},
		{src: `dec_round(dec('1.5'), 2)`, want: dec("1.50")},
		{src: `dec_round(dec('1234.5'), -2)`, want: dec("1200")},
		{src: `dec_round(dec('0.004'), 2)`, want: dec("0.00")},
		// Comparison and conversion.
		{src: `dec('0.30') == dec('0.3')`, want: true},
		{src: `dec_cmp(dec('0.30'), dec('0.3'))`, want: 0},
		{src: `dec_cmp(dec('-1'), dec('0.5'))`, want: -1},
		{src: `dec_cmp(record.price, 10)`, want: 1},
		{src: `record.price > 10`, want: true},
		{src: `record.price < 19.99`, want: false},
		{src: `record.price <= 19.99`, want: true},
		{src: `record.price >= dec('20')`, want: false},
		{src: `20 > record.price`, want: true},
		{src: `dec_lt(dec('-0.01'), 0)`, want: true},
		{src: `dec_str(dec('0.30'))`, want: "0.30"},
		{src: `dec_str(dec('59.9'), 2)`, want: "59.90"},
		{src: `dec_str(dec('2.345'), 2)`, want: "2.35"},
		{src: `dec_str(dec('-0.05'))`, want: "-0.05"},
		{src: `string(dec('0.30'))`, want: "0.30"},
		{src: `dec_float(dec('0.3'))`, want: 0.3},
		{src: `dec_abs(dec('-4.20'))`, want: dec("4.20")},
		{src: `dec_neg(dec('4.20'))`, want: dec("-4.20")},
		{src: `toJSON(dec('0.30'))`, want: "0.30"},
		// Plain numbers are untouched by the overloads.
		{src: `1 + 2`, want: 3},
		{src: `7 / 2`, want: 3.5},
		{src: `1 == 1.0`, want: true},
		// Errors.
		{src: `dec('12,50')`, err: `dec: cannot parse "12,50" as a decimal`},
		{src: `dec(record.amount + 'x')`, err: `dec: cannot parse "0.10x" as a decimal`},
		{src: `dec(record.note)`, err: `dec: cannot convert nil to a decimal`},
		{src: `dec_div(dec('1'), 0, 2)`, err: `dec_div: division by zero`},
		{src: `dec('1') / 0`, err: `dec_quo: division by zero`},
		{src: `dec_round(dec('1'), 2, 'bankers')`, err: `dec_round: unknown rounding mode "bankers" (want half_up, half_even, down or up)`},
		{src: `dec_add(record.note, 1)`, err: `dec_add: a must be a Decimal, a number or a numeric string, got nil`},
		{src: `dec_sum(['1', 'x'])`, err: `dec_sum: element 1: cannot parse "x" as a decimal`},
		{src: `dec_str(dec('1'), -1)`, err: `dec_str: places must not be negative, got -1`},
	})
}

func TestDecimalJSON(t *testing.T) {
	b, err := json.Marshal(map[string]any{"total": exprlib.MustDecimal("0.30"), "n": exprlib.MustDecimal("-12")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"n":-12,"total":0.30}`; got != want {
		t.Fatalf("json = %s, want %s", got, want)
	}
	var v struct{ A, B, C exprlib.Decimal }
	if err := json.Unmarshal([]byte(`{"A": 59.97, "B": "0.10", "C": null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "59.97" || v.B.String() != "0.10" || !v.C.IsZero() {
		t.Fatalf("unmarshal = %v %v %v", v.A, v.B, v.C)
	}
	if err := json.Unmarshal([]byte(`{"A": "abc"}`), &v); err == nil {
		t.Fatal("unmarshal of \"abc\" succeeded")
	}
	var s fmt.Stringer = exprlib.MustDecimal("1.50")
	if s.String() != "1.50" || fmt.Sprint(exprlib.Decimal{}) != "0" {
		t.Fatalf("String = %q, zero = %q", s.String(), fmt.Sprint(exprlib.Decimal{}))
	}
}

// TestDecimalAgainstRat checks Decimal arithmetic and half-up/half-even
// rounding against math/big.Rat on random operands.
func TestDecimalAgainstRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randDec := func() string {
		s := fmt.Sprint(rng.Int64N(2_000_000_000_000) - 1_000_000_000_000)
		if rng.IntN(4) == 0 {
			s = fmt.Sprint(rng.Int64N(200) - 100)
		}
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		if sc := rng.IntN(8); sc > 0 {
			s = strings.Repeat("0", max(0, sc-len(s)+1)) + s
			s = s[:len(s)-sc] + "." + s[len(s)-sc:]
		}
		if neg {
			s = "-" + s
		}
		return s
	}
	rat := func(s string) *big.Rat {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("rat %q", s)
		}
		return r
	}
	// roundRat rounds r to places digits, half away from zero or half to even.
	roundRat := func(r *big.Rat, places int, even bool) *big.Rat {
		scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil))
		x := new(big.Rat).Mul(r, scale)
		neg := x.Sign() < 0
		x.Abs(x)
		q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
		c := new(big.Int).Lsh(m, 1).Cmp(x.Denom())
		if c > 0 || c == 0 && (!even || q.Bit(0) == 1) {
			q.Add(q, big.NewInt(1))
		}
		if neg {
			q.Neg(q)
		}
		return new(big.Rat).Quo(new(big.Rat).SetInt(q), scale)
	}
	for i := 0; i < 3000; i++ {
		as, bs := randDec(), randDec()
		a, b := exprlib.MustDecimal(as), exprlib.MustDecimal(bs)
		ra, rb := rat(as), rat(bs)
		if a.String() != as {
			t.Fatalf("String(%q) = %q", as, a.String())
		}
		check := func(op string, got exprlib.Decimal, want *big.Rat) {
			t.Helper()
			if rat(got.String()).Cmp(want) != 0 {
				t.Fatalf("%s %s %s = %s, want %s", as, op, bs, got, want.FloatString(20))
			}
		}
		check("+", a.Add(b), new(big.Rat).Add(ra, rb))
		check("-", a.Sub(b), new(big.Rat).Sub(ra, rb))
		check("*", a.Mul(b), new(big.Rat).Mul(ra, rb))
		if got, want := a.Cmp(b), ra.Cmp(rb); got != want {
			t.Fatalf("cmp(%s, %s) = %d, want %d", as, bs, got, want)
		}
		places := rng.IntN(6)
		check(fmt.Sprintf("round%d", places), a.Round(places, exprlib.HalfUp), roundRat(ra, places, false))
		check(fmt.Sprintf("round_even%d", places), a.Round(places, exprlib.HalfEven), roundRat(ra, places, true))
		if !b.IsZero() {
			q, err := a.Quo(b, places, exprlib.HalfUp)
			if err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("/%d", places), q, roundRat(new(big.Rat).Quo(ra, rb), places, false))
		}
	}
}

// TestConcurrent runs programs sharing the caches from many goroutines (run
// with -race).
func TestConcurrent(t *testing.T) {
	p := compile(t, `[regex_find(record.code, record.pattern), format_time(record.ts, '2006-01-02 15:04', record.pattern == '[0-9]+' ? 'Europe/Amsterdam' : 'Asia/Tokyo'), dec_str(record.price * record.qty), convert(record.weight, 'KG', 'lb')]`)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				env := record()
				if (g+i)%2 == 1 {
					env["record"].(map[string]any)["pattern"] = "[A-Z]+"
				}
				out, err := expr.Run(p, env)
				if err != nil {
					t.Error(err)
					return
				}
				got := out.([]any)
				want := []any{"1012", "2026-03-06 10:00", "59.97", 27.557782773109697}
				if (g+i)%2 == 1 {
					want[0], want[1] = "NL", "2026-03-06 18:00"
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %v, want %v", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNumbers(t *testing.T) {
	runCases(t, []tcase{
		{src: `round_to(2.345, 2)`, want: 2.35},
		{src: `round_to(1.005, 2)`, want: 1.01},
		{src: `round_to(-1.005, 2)`, want: -1.01},
		{src: `round_to(2.5, 0)`, want: 3.0},
		{src: `round_to(-2.5, 0)`, want: -3.0},
		{src: `round_to(1234.5678, -2)`, want: 1200.0},
		{src: `round_to(0.1 + 0.2, 2)`, want: 0.3},
		{src: `round_to(record.qty, 2)`, want: 3.0},
		{src: `round_to(record.weight, 0)`, want: 13.0},
		{src: `round_to(2.5, 5)`, want: 2.5},
		{src: `convert(1, 'lb', 'kg')`, want: 0.45359237},
		{src: `convert(1, 'LB', 'Kg')`, want: 0.45359237},
		{src: `lb_to_kg(1)`, want: 0.45359237},
		{src: `kg_to_lb(1)`, want: 2.2046226218487757},
		{src: `kg_to_lb(lb_to_kg(22.5))`, want: 22.5},
		{src: `convert(16, 'oz', 'lb')`, want: 1.0},
		{src: `convert(1, 't', 'kg')`, want: 1000.0},
		{src: `convert(250, 'g', 'kg')`, want: 0.25},
		{src: `convert(5, 'ft', 'in')`, want: 60.0},
		{src: `convert(1, 'mi', 'km')`, want: 1.609344},
		{src: `convert(1, 'in', 'mm')`, want: 25.4},
		{src: `convert(120, 'cm', 'm')`, want: 1.2},
		{src: `ft_to_m(1)`, want: 0.3048},
		{src: `m_to_ft(0.3048)`, want: 1.0},
		{src: `convert(1, 'gal', 'l')`, want: 3.785411784},
		{src: `convert(1, 'ft3', 'l')`, want: 28.316846592},
		{src: `convert(2.5, 'm3', 'l')`, want: 2500.0},
		{src: `convert(record.weight, 'kg', 'kg')`, want: 12.5},
		{src: `convert(record.qty, 'km', 'm')`, want: 3000.0},
		{src: `convert(1, 'kg', 'm')`, err: `convert: cannot convert "kg" (mass) to "m" (length)`},
		{src: `convert(1, 'l', 'lb')`, err: `convert: cannot convert "l" (volume) to "lb" (mass)`},
		{src: `convert(1, 'stone', 'kg')`, err: `convert: unknown unit "stone" (known: mass kg, g, lb (lbs), oz, t; length m, cm, mm, km, in, ft, yd, mi; volume m3, l, ml, ft3, gal)`},
		{src: `convert(1, 'kg', '')`, err: `convert: unknown unit "" (known: mass kg, g, lb (lbs), oz, t; length m, cm, mm, km, in, ft, yd, mi; volume m3, l, ml, ft3, gal)`},
		{src: `convert(record.note, 'kg', 'lb')`, err: `convert: value must be a number, got nil`},
	})
}

func TestStrings(t *testing.T) {
	runCases(t, []tcase{
		{src: `pad_left('42', 6, '0')`, want: "000042"},
		{src: `pad_left('€5', 4, '·')`, want: "··€5"},
		{src: `pad_right('ab', 7, 'xyz')`, want: "abxyzxy"},
		{src: `pad_left('toolong', 3, '0')`, want: "toolong"},
		{src: `pad_right(record.code, 12, ' ') + '|'`, want: "NL-1012AB   |"},
		{src: `substr('Zürich Hbf', 0, 6)`, want: "Zürich"},
		{src: `substr('日本語テキスト', 2, 3)`, want: "語テキ"},
		{src: `substr('héllo', 1)`, want: "éllo"},
		{src: `substr('abc', -5, 2)`, want: "ab"},
		{src: `substr('abc', 10)`, want: ""},
		{src: `substr('abc', 1, 100)`, want: "bc"},
		{src: `substr('abc', 1, -1)`, want: ""},
		{src: `substr('', 0, 1)`, want: ""},
		{src: `substr('🚚📦x', 1, 1)`, want: "📦"},
		{src: `regex_match(record.code, '^[A-Z]{2}-[0-9]{4}[A-Z]{2}$')`, want: true},
		{src: `regex_match('nl-1012ab', '^[A-Z]{2}-[0-9]{4}[A-Z]{2}$')`, want: false},
		{src: `regex_match('nl-1012ab', '(?i)^[A-Z]{2}-[0-9]{4}[A-Z]{2}$')`, want: true},
		{src: `regex_find('PO 4711-B', '[0-9]+')`, want: "4711"},
		{src: `regex_find('order=PO-99;x=1', 'order=([^;]+)')`, want: "PO-99"},
		{src: `regex_find('no digits', '[0-9]+')`, want: ""},
		{src: `regex_find('ab', 'a(x)?')`, want: ""},
		{src: `regex_find(record.code, record.pattern)`, want: "1012"},
		{src: `regex_replace('2026-03-29', '(\\d+)-(\\d+)-(\\d+)', '$3.$2.$1')`, want: "29.03.2026"},
		{src: `regex_replace('a  b   c', ' +', '_')`, want: "a_b_c"},
		{src: `regex_replace('cost 5', '(\\d+)', '$$$1')`, want: "cost $5"},
		{src: "normalize_space('  Main\\t Street \\n 12 ')", want: "Main Street 12"},
		{src: "normalize_space('a\u00a0\u00a0b')", want: "a b"},
		{src: `normalize_space('')`, want: ""},
		{src: `pad_left('1', 3, '')`, err: `pad_left: pad must not be empty`},
		{src: `regex_match('x', '(')`, err: `regex_match: invalid pattern "(": missing closing )`},
		{src: `regex_find('x', 'a**')`, err: `regex_find: invalid pattern "a**": invalid nested repetition operator at "**"`},
		{src: `substr(record.note, 1)`, err: `substr: s must be a string, got nil`},
	})
}

// TestRegexCache runs programs whose patterns come from the record, so one
// compiled program sees many patterns, interleaved with literal ones.
func TestRegexCache(t *testing.T) {
	p := compile(t, `[regex_find(record.code, record.pattern), regex_find(record.code, '[A-Z]+'), regex_replace(record.code, record.pattern, '#')]`)
	cases := []struct{ pattern, want0, want2 string }{
		{`[0-9]+`, "1012", "NL-#AB"},
		{`[A-Z]+$`, "AB", "NL-1012#"},
		{`^([A-Z]+)`, "NL", "#-1012AB"},
		{`[0-9]+`, "1012", "NL-#AB"},
		{`x`, "", "NL-1012AB"},
	}
	for round := 0; round < 3; round++ {
		for _, c := range cases {
			env := record()
			env["record"].(map[string]any)["pattern"] = c.pattern
			out, err := expr.Run(p, env)
			if err != nil {
				t.Fatal(err)
			}
			got := out.([]any)
			if got[0] != c.want0 || got[1] != "NL" || got[2] != c.want2 {
				t.Errorf("pattern %q: got %q, want [%q NL %q]", c.pattern, got, c.want0, c.want2)
			}
		}
	}
	// A bad pattern is reported every time, not cached as a success.
	for i := 0; i < 2; i++ {
		env := record()
		env["record"].(map[string]any)["pattern"] = `[`
		if _, err := expr.Run(p, env); err == nil || !strings.Contains(err.Error(), `regex_find: invalid pattern "[": missing closing ]`) {
			t.Fatalf("bad pattern: %v", err)
		}
	}
}

func TestNullsAndIDs(t *testing.T) {
	runCases(t, []tcase{
		{src: `coalesce(nil, nil, 'x')`, want: "x"},
		{src: `coalesce(record.note, '', 'x')`, want: ""},
		{src: `coalesce(record.note, 0)`, want: 0},
		{src: `coalesce(record.note)`, want: nil},
		{src: `or_default('', 'n/a')`, want: "n/a"},
		{src: `or_default(record.note, 'n/a')`, want: "n/a"},
		{src: `or_default(record.tags, ['none'])`, want: []any{"none"}},
		{src: `or_default(0, 5)`, want: 0},
		{src: `or_default(record.code, 'n/a')`, want: "NL-1012AB"},
		{src: `is_empty(nil)`, want: true},
		{src: `is_empty('')`, want: true},
		{src: `is_empty(' ')`, want: false},
		{src: `is_empty([])`, want: true},
		{src: `is_empty({})`, want: true},
		{src: `is_empty([nil])`, want: false},
		{src: `is_empty(0)`, want: false},
		{src: `is_empty(false)`, want: false},
		{src: `is_empty(record.tags)`, want: true},
		{src: `is_empty(record.lines)`, want: false},
		{src: `sha256('abc')`, want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{src: `sha256('')`, want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{src: `sha256(record.code + '|' + format_time(record.ts, 'iso8601'))`, want: "47ad6b908af6d81ae3ccbba905158d77289cfe07aeeac2142a799848d3c40553"},
		// Python: uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, 'flowctl'), 'order-1')
		{src: `uuid5('flowctl', 'order-1')`, want: "6ff41665-210c-5b64-ab9c-496143bfc731"},
		{src: `uuid5('flowctl', 'order-1') == uuid5('flowctl', 'order-1')`, want: true},
		{src: `uuid5('flowctl', 'order-1') != uuid5('flowctl', 'order-2')`, want: true},
		{src: `sha256(record.note)`, err: `sha256: s must be a string, got nil`},
	})
}

// TestCompileTimeTypes checks that wrong argument types are rejected when the
// expression is compiled, which is what Types is for.
func TestCompileTimeTypes(t *testing.T) {
	bad := []string{
		`round_to('x', 2)`,
		`round_to(1.5, 2.5)`,
		`pad_left(1, 2, '0')`,
		`pad_left('1', '2', '0')`,
		`substr(record.code, '1')`,
		`parse_time(1, 'iso8601')`,
		`parse_time('2026-01-01')`,
		`format_time('2026-01-01', 'iso8601')`,
		`add_days(record.ts, 1.5)`,
		`add_business_days(record.code, 1)`,
		`days_between(record.ts, '2026-01-01')`,
		`in_tz(record.ts)`,
		`parse_duration(5)`,
		`regex_match(record.code, 1)`,
		`regex_replace(record.code, 'x')`,
		`convert(record.weight, 'kg')`,
		`convert('1', 'kg', 'lb')`,
		`kg_to_lb(record.code)`,
		`sha256(record.qty)`,
		`uuid5('ns')`,
		`dec(true)`,
		`dec([1])`,
		`dec_round(1.5, 2)`,
		`dec_round(record.price, 2, 1)`,
		`dec_div(record.price, 3)`,
		`dec_add(record.price, 'x')`,
		`dec_str(record.price, '2')`,
		`record.price + 'x'`,
		`record.price + record.note`,
		`record.price + record.ts`,
		`is_empty()`,
		`coalesce()`,
	}
	for _, src := range bad {
		if _, err := expr.Compile(src, append(exprlib.Options(), expr.Env(typedEnv))...); err == nil {
			t.Errorf("%s compiled; want a type error", src)
		}
	}
	// Expressions whose result type is known are typed by the declarations.
	for src, want := range map[string]reflect.Type{
		`round_to(record.weight, 1)`:     reflect.TypeOf(0.0),
		`record.price * record.qty`:      reflect.TypeOf(exprlib.Decimal{}),
		`dec('1') + dec('2') > dec('2')`: reflect.TypeOf(true),
		`parse_time('2026', '2006')`:     reflect.TypeOf(time.Time{}),
		`parse_duration('PT1H')`:         reflect.TypeOf(time.Duration(0)),
		`days_between(record.ts, now())`: reflect.TypeOf(0),
		`uuid5('a', 'b')`:                reflect.TypeOf(""),
	} {
		p := compile(t, src)
		if got := p.Node().Type(); got != want {
			t.Errorf("%s: type %v, want %v", src, got, want)
		}
	}
}

func TestOptionsOrder(t *testing.T) {
	// The engine applies expr.Env before the function options.
	p, err := expr.Compile(`record.price * record.qty == dec('59.97')`, append([]expr.Option{expr.Env(typedEnv)}, exprlib.Options()...)...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := expr.Run(p, record())
	if err != nil || out != true {
		t.Fatalf("got %v, %v", out, err)
	}
}

func TestCatalog(t *testing.T) {
	funcs := exprlib.Funcs()
	if !slices.IsSortedFunc(funcs, func(a, b exprlib.Func) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("Funcs() is not sorted by name")
	}
	builtins := map[string]bool{}
	for _, b := range builtin.Builtins {
		builtins[b.Name] = true
	}
	for _, f := range funcs {
		t.Run(f.Name, func(t *testing.T) {
			if builtins[f.Name] {
				t.Errorf("%s overrides an expr builtin", f.Name)
			}
			if !strings.HasPrefix(f.Signature, f.Name+"(") {
				t.Errorf("signature %q does not start with %s(", f.Signature, f.Name)
			}
			if f.Doc == "" || !strings.HasSuffix(f.Doc, ".") {
				t.Errorf("doc %q: want one sentence ending in a period", f.Doc)
			}
			if f.Fn == nil || len(f.Types) == 0 {
				t.Errorf("missing Fn or Types")
			}
			if !strings.Contains(f.Example, f.Name+"(") {
				t.Errorf("example %q does not call %s", f.Example, f.Name)
			}
			p, err := expr.Compile(f.Example, append(exprlib.Options(), expr.Env(types.Map{}))...)
			if err != nil {
				t.Fatalf("example %q: %v", f.Example, err)
			}
			if _, err := expr.Run(p, map[string]any{}); err != nil {
				t.Fatalf("example %q: %v", f.Example, err)
			}
			if _, err := f.Fn(); err == nil || !strings.HasPrefix(err.Error(), f.Name+": want ") {
				t.Errorf("Fn() with no arguments: %v", err)
			}
		})
	}
}

func BenchmarkDecimalSum(b *testing.B) {
	lines := make([]any, 100)
	for i := range lines {
		lines[i] = map[string]any{"amount": fmt.Sprintf("%d.%02d", i, i%100)}
	}
	env := record()
	env["record"].(map[string]any)["lines"] = lines
	p := compile(b, `dec_sum(map(record.lines, dec(.amount)))`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := expr.Run(p, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecimalLine(b *testing.B) {
	env := record()
	p := compile(b, `dec_str(record.price * record.qty * dec('1.21'), 2)`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := expr.Run(p, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegexFind(b *testing.B) {
	env := record()
	p := compile(b, `regex_find(record.code, '([0-9]{4})')`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := expr.Run(p, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTimeTZ(b *testing.B) {
	env := record()
	p := compile(b, `parse_time('29/03/2026 12:00', '02/01/2006 15:04', 'Europe/Amsterdam')`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := expr.Run(p, env); err != nil {
			b.Fatal(err)
		}
	}
}
