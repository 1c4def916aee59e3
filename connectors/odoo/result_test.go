package odoo

import (
	"context"
	"strconv"
	"testing"

	"github.com/flowctl/flowctl/engine"
)

// TestWriteResult: the odoo target reports the id of the record each
// operation wrote, created or found.
func TestWriteResult(t *testing.T) {
	srv, _ := newServer(t)
	existing := srv.MustCreate("res.partner", map[string]any{"name": "Old", "ref": "R-OLD"})
	ctx := context.Background()
	for _, tc := range []struct {
		name, settings string
		op             engine.Operation
		want           func(t *testing.T) string // the id expected
	}{
		{"create", `model = "res.partner"`, engine.Operation{Body: map[string]any{"name": "New", "ref": "R-NEW"}},
			func(t *testing.T) string {
				return strconv.Itoa(search(t, srv, "res.partner", []any{"ref", "=", "R-NEW"})[0])
			}},
		{"create list", `model = "res.partner"`, engine.Operation{Body: []any{map[string]any{"name": "L1", "ref": "R-L"}, map[string]any{"name": "L2", "ref": "R-L"}}},
			func(t *testing.T) string {
				ids := search(t, srv, "res.partner", []any{"ref", "=", "R-L"})
				return strconv.Itoa(ids[0]) + "," + strconv.Itoa(ids[1])
			}},
		{"write", `model = "res.partner"
    operation = "write"
    record_id = "record.id"`, engine.Operation{Body: map[string]any{"name": "Renamed"}, Fields: map[string]any{"record_id": existing}},
			func(*testing.T) string { return strconv.Itoa(existing) }},
		{"upsert found", `model = "res.partner"
    operation = "upsert"
    unique_field = "ref"`, engine.Operation{Body: map[string]any{"name": "Again", "ref": "R-OLD"}},
			func(*testing.T) string { return strconv.Itoa(existing) }},
		{"upsert external id", `model = "res.partner"
    operation = "upsert"
    idempotency_key = "record.ref"`, engine.Operation{Key: "x1", Body: map[string]any{"name": "X", "ref": "R-X"}},
			func(t *testing.T) string {
				return strconv.Itoa(search(t, srv, "res.partner", []any{"ref", "=", "R-X"})[0])
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := openTestTarget(t, srv, protoJSONRPC, tc.settings)
			res, err := tg.WriteResult(ctx, &tc.op)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.want(t); res.ID != want || res.Digest != "" {
				t.Fatalf("result %+v, want id %s", res, want)
			}
		})
	}
}
