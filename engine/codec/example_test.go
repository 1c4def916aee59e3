package codec_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/flowctl/flowctl/engine/codec"
)

func Example() {
	in := strings.NewReader(`{"order":"SO-1","qty":3,"price":"12.50"}
not json
{"order":"SO-2","qty":1,"price":"7.05"}
`)
	r, _ := codec.NewReader(in, codec.DetectFormat("orders.ndjson"), codec.ReaderOptions{})
	w, _ := codec.NewWriter(os.Stdout, "csv", codec.WriterOptions{Columns: []string{"order", "qty"}})
	for {
		rec, ok, err := r.Next()
		if err != nil {
			fmt.Println("fatal:", err)
			return
		}
		if !ok {
			break
		}
		if rec.Err != nil {
			fmt.Printf("rejected %q: %v\n", rec.Raw, rec.Err)
			continue
		}
		delete(rec.Data, "price")
		if err := w.Write(rec.Data); err != nil {
			fmt.Println(err)
		}
	}
	w.Close()
	// Output:
	// rejected "not json": line 2, column 2: invalid character 'o' in literal null (expecting 'u')
	// order,qty
	// SO-1,3
	// SO-2,1
}
