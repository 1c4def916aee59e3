package odoo_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flowctl/flowctl/engine/enginetest"
	"github.com/flowctl/flowctl/internal/odootest"

	_ "github.com/flowctl/flowctl/connectors/all"
)

// TestConformance runs the connector conformance suite against the odoo
// source and target, over each protocol, with internal/odootest on
// loopback.
func TestConformance(t *testing.T) {
	t.Setenv("ODOO_CONFORMANCE_KEY", odootest.DefaultAPIKey)
	for _, proto := range []string{"jsonrpc", "json2", "xmlrpc"} {
		t.Run(proto, func(t *testing.T) {
			srv := odootest.NewServer(odootest.Options{})
			// FailNext fails the next creates (the writes), not the
			// checks a target makes when it opens.
			var mu sync.Mutex
			failing, status := 0, 0
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				mu.Lock()
				fail := failing > 0 && isCreate(r.URL.Path, b)
				if fail {
					failing--
				}
				mu.Unlock()
				if fail {
					http.Error(w, "induced failure", status)
					return
				}
				srv.Handler().ServeHTTP(w, r)
			}))
			defer ts.Close()
			conn := fmt.Sprintf(`
connection "odoo" "erp" {
  url      = %q
  database = "odoo"
  username = "admin"
  api_key  = secret("ODOO_CONFORMANCE_KEY")
  protocol = %q
}
`, ts.URL, proto)
			t.Run("target", func(t *testing.T) {
				config := conn + `
flow "conf" {
  source "file" { path = "-" }
  target "odoo" "out" {
    connection      = connection.odoo.erp
    model           = "res.partner"
    body            = "{name: record.name, ref: string(record.n)}"
    idempotency_key = "string(record.n)"
  }
}
`
				enginetest.Run(t, enginetest.Harness{
					Config:         config,
					BadConfig:      strings.Replace(config, `model           = "res.partner"`, `operation       = "write"`, 1),
					BadConfigError: "model",
					Written: func(t *testing.T) []int {
						var out []int
						for _, id := range mustSearch(t, srv, "res.partner") {
							rec, err := srv.Read("res.partner", id, "ref")
							if err != nil {
								t.Fatal(err)
							}
							n, _ := strconv.Atoi(fmt.Sprint(rec["ref"]))
							out = append(out, n)
						}
						return out
					},
					FailNext: func(_ *testing.T, k int, retryable bool) {
						mu.Lock()
						defer mu.Unlock()
						failing, status = k, http.StatusUnprocessableEntity
						if retryable {
							status = http.StatusServiceUnavailable
						}
					},
				})
			})
			t.Run("source", func(t *testing.T) {
				config := conn + `
flow "conf" {
  source "odoo" {
    connection = connection.odoo.erp
    model      = "res.partner"
    domain     = [["ref", "like", "conf-"]]
    fields     = ["name", "ref"]
    page_size  = 2
  }
  target "stdout" "out" {}
}
`
				enginetest.Run(t, enginetest.Harness{
					Config:         config,
					BadConfig:      strings.Replace(config, `[["ref", "like", "conf-"]]`, `[["ref", "like"]]`, 1),
					BadConfigError: "a term is [field, operator, value], not 2 values",
					Seed: func(t *testing.T, n int) {
						for i := 1; i <= n; i++ {
							srv.MustCreate("res.partner", map[string]any{"name": fmt.Sprintf("rec-%d", i), "ref": fmt.Sprintf("conf-%d", i)})
						}
					},
				})
			})
		})
	}
}

// mustSearch returns a model's ids in creation order.
func mustSearch(t *testing.T, srv *odootest.Server, model string) []int {
	t.Helper()
	ids, err := srv.Search(model, nil)
	if err != nil {
		t.Fatal(err)
	}
	sort.Ints(ids)
	return ids
}

// isCreate tells a create call in any of the three protocols.
func isCreate(path string, body []byte) bool {
	switch {
	case strings.HasPrefix(path, "/json/2/"):
		return strings.HasSuffix(path, "/create")
	case path == "/xmlrpc/2/object":
		return bytes.Contains(body, []byte("<string>create</string>"))
	case path == "/jsonrpc":
		var req struct {
			Params struct {
				Args []any `json:"args"`
			} `json:"params"`
		}
		return json.Unmarshal(body, &req) == nil && len(req.Params.Args) > 4 && req.Params.Args[4] == "create"
	}
	return false
}
