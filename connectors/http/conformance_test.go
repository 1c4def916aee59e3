package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/flowctl/flowctl/engine/enginetest"

	_ "github.com/flowctl/flowctl/connectors/all"
)

// TestConformance runs the connector conformance suite against the http
// target and a real loopback server.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	var got []int
	failing, status := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if failing > 0 {
			failing--
			http.Error(w, "induced failure", status)
			return
		}
		var body struct{ N int }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		got = append(got, body.N)
		w.WriteHeader(201)
	}))
	defer srv.Close()
	config := fmt.Sprintf(`
connection "http" "api" {
  base_url = %q
  retry {
    attempts = 3
    initial  = "10ms"
    max      = "50ms"
  }
}
flow "conf" {
  source "file" { path = "-" }
  target "http" "out" {
    connection      = connection.http.api
    path            = "/items"
    idempotency_key = "string(record.n)"
  }
}
`, srv.URL)
	enginetest.Run(t, enginetest.Harness{
		Config:         config,
		BadConfig:      strings.Replace(config, "path            = \"/items\"", "path = 42\n    pathh = \"/x\"", 1),
		BadConfigError: "Unsupported argument",
		Written: func(*testing.T) []int {
			mu.Lock()
			defer mu.Unlock()
			return append([]int(nil), got...)
		},
		FailNext: func(_ *testing.T, k int, retryable bool) {
			mu.Lock()
			defer mu.Unlock()
			failing, status = k, 422
			if retryable {
				status = 503
			}
		},
	})
}
