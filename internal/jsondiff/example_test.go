package jsondiff_test

import (
	"encoding/json"
	"fmt"

	"github.com/flowctl/flowctl/internal/jsondiff"
)

func Example() {
	var expected, actual any
	_ = json.Unmarshal([]byte(`{
		"customer": "ACME",
		"note": "fragile",
		"lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}, {"sku": "C", "qty": 1}]
	}`), &expected)
	_ = json.Unmarshal([]byte(`{
		"customer": "ACME B.V.",
		"lines": [{"sku": "A", "qty": 1.0}, {"sku": "B", "qty": 3}, {"sku": "X", "qty": 1}, {"sku": "C", "qty": 1}]
	}`), &actual)

	changes := jsondiff.Diff(expected, actual)
	fmt.Print(jsondiff.Format(changes, false))
	fmt.Println(jsondiff.Summary(changes))
	fmt.Println(jsondiff.Equal(expected, actual))
	// Output:
	// ~ $.customer:     "ACME" → "ACME B.V."
	// ~ $.lines[1].qty: 2 → 3
	// + $.lines[2]:     {"qty":1,"sku":"X"}
	// - $.note:         "fragile"
	// 2 changed, 1 added, 1 removed
	// false
}
