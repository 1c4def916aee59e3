package odootest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func httpGet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	return resp.StatusCode, nil
}

func TestStartLoopbackOnly(t *testing.T) {
	s := NewServer(Options{})
	if err := s.Start("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("Start on all interfaces: %v", err)
	}
	if err := s.Start("192.0.2.1:8069"); err == nil {
		t.Fatal("Start on a non-loopback address succeeded")
	}
	if s.URL() != "" {
		t.Errorf("URL before Start = %q", s.URL())
	}
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL = %q", s.URL())
	}
	if err := s.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
	resp, err := http.Get(s.URL() + "/web/version")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Version string `json:"version"`
	}
	json.NewDecoder(resp.Body).Decode(&v) //nolint:errcheck
	resp.Body.Close()
	if v.Version != "19.0" {
		t.Errorf("version = %q", v.Version)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(s.URL() + "/web/version"); err == nil {
		t.Error("server still answers after Close")
	}
	s2 := NewServer(Options{})
	if err := s2.Start("localhost:0"); err != nil {
		t.Errorf("Start(localhost:0): %v", err)
	}
	s2.Close()
}

func TestNewServerVersions(t *testing.T) {
	for _, v := range []int{17, 18, 19} {
		if got := NewServer(Options{Version: v}).Version(); got != v {
			t.Errorf("Version() = %d", got)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("version 16 accepted")
		}
	}()
	NewServer(Options{Version: 16})
}

func TestFailNext(t *testing.T) {
	f := newFixture(t, Options{})
	f.s.FailNext(2, 503)
	for i := 0; i < 2; i++ {
		status, h, body := post(t, f.url+"/jsonrpc", "application/json", nil, []byte(ekw("res.partner", "create", l{m{"name": "Retry"}}, nil)))
		if status != 503 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "503 Service Unavailable") {
			t.Errorf("call %d: %d %s", i, status, body)
		}
	}
	// The failed calls did nothing; the next one works.
	id := f.mustKW("res.partner", "create", l{m{"name": "Retry"}}, nil)
	if n := f.mustKW("res.partner", "search_count", l{l{l{"name", "=", "Retry"}}}, nil); n != 1 || id != 5 {
		t.Errorf("after 503s: id %v, %v records", id, n)
	}

	// Serialization failures in each protocol.
	f.s.FailNext(1, Serialization)
	_, err := f.kw("res.partner", "search_count", l{l{}}, nil)
	if err == nil || err.Data.Name != SerializationFailure || err.Code != 0 {
		t.Errorf("jsonrpc serialization failure: %+v", err)
	}
	f.s.FailNext(1, Serialization)
	status, body := f.json2("res.partner", "search_count", m{"domain": l{}})
	if status != 500 || body.(map[string]any)["name"] != SerializationFailure {
		t.Errorf("json2 serialization failure: %d %v", status, body)
	}
	f.s.FailNext(1, Serialization)
	status, _, xb := post(t, f.url+"/xmlrpc/2/common", "text/xml", nil, []byte(xmlCall("version")))
	if status != 200 || !strings.Contains(string(xb), "<int>1</int>") || !strings.Contains(string(xb), "SerializationFailure") {
		t.Errorf("xmlrpc serialization failure: %s", xb)
	}
	f.s.FailNext(1, 502)
	status, _, _ = post(t, f.url+"/json/2/res.partner/search_count", "application/json", bearer, []byte(`{"domain":[]}`))
	if status != 502 {
		t.Errorf("json2 502: %d", status)
	}

	// Hang: the client times out; the server keeps serving.
	f.s.FailNext(1, Hang)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	start := time.Now()
	_, herr := client.Post(f.url+"/jsonrpc", "application/json", strings.NewReader(ekw("res.partner", "search_count", l{l{}}, nil)))
	if herr == nil || time.Since(start) > 5*time.Second {
		t.Errorf("hang: %v after %v", herr, time.Since(start))
	}
	if _, err := f.kw("res.partner", "search_count", l{l{}}, nil); err != nil {
		t.Errorf("after hang: %v", err.Data.Name)
	}

	// Calls records what happened.
	calls := f.s.Calls()
	if len(calls) == 0 || f.s.CallCount() != len(calls) {
		t.Fatalf("calls: %d / %d", len(calls), f.s.CallCount())
	}
	last := calls[len(calls)-1]
	if last.Protocol != "jsonrpc" || last.Model != "res.partner" || last.Method != "search_count" || last.UID != 2 || last.Error != "" {
		t.Errorf("last call: %+v", last)
	}
}

func TestHangReleasedByClose(t *testing.T) {
	s := NewServer(Options{})
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	s.FailNext(1, Hang)
	done := make(chan error, 1)
	go func() {
		_, err := http.Post(s.URL()+"/jsonrpc", "application/json", strings.NewReader(rpc("common", "version")))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("hanging request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hanging request")
	}
}

// TestConcurrentCreates creates records from many goroutines over HTTP
// (both protocols) while others read and search: ids stay unique and
// dense. Run with -race.
func TestConcurrentCreates(t *testing.T) {
	f := newFixture(t, Options{})
	const workers, per = 16, 40
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	errs := make(chan string, workers*per)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				name := fmt.Sprintf("P%d-%d", w, i)
				var got []int
				if w%2 == 0 {
					res, rpcErr, err := rawKW(f.url, "res.partner", "create", l{m{"name": name, "ref": name}}, nil)
					if err != nil || rpcErr != "" {
						errs <- fmt.Sprint(err, rpcErr)
						return
					}
					got = []int{res.(int)}
				} else {
					data, _ := json.Marshal(m{"vals_list": l{m{"name": name, "ref": name}}})
					status, _, out, err := rawPost(f.url+"/json/2/res.partner/create", "application/json", bearer, data)
					if err != nil || status != 200 || json.Unmarshal(out, &got) != nil || len(got) != 1 {
						errs <- fmt.Sprint(err, string(out))
						return
					}
				}
				mu.Lock()
				for _, id := range got {
					if seen[id] {
						errs <- fmt.Sprintf("id %d returned twice", id)
					}
					seen[id] = true
				}
				mu.Unlock()
				// Interleave reads and searches.
				if _, rpcErr, err := rawKW(f.url, "res.partner", "search_read",
					l{l{l{"ref", "=like", fmt.Sprintf("P%d-%%", w)}}}, m{"fields": l{"name"}, "limit": 5}); err != nil || rpcErr != "" {
					errs <- fmt.Sprint(err, rpcErr)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if len(seen) != workers*per {
		t.Fatalf("%d ids for %d creates", len(seen), workers*per)
	}
	// Dense and deterministic: 5 .. 4+workers*per.
	for id := 5; id < 5+workers*per; id++ {
		if !seen[id] {
			t.Fatalf("id %d missing", id)
		}
	}
	if n := f.mustKW("res.partner", "search_count", l{l{l{"ref", "=like", "P%"}}}, nil); n != workers*per {
		t.Errorf("count = %v", n)
	}
}

// TestConcurrentWorkflows confirms and validates orders in parallel while
// other goroutines poll: pickings are numbered without gaps or duplicates.
func TestConcurrentWorkflows(t *testing.T) {
	f := newFixture(t, Options{})
	const n = 24
	var orders []int
	for i := 0; i < n; i++ {
		orders = append(orders, f.s.MustCreate("sale.order", m{"partner_id": 4,
			"order_line": l{l{0, 0, m{"product_id": 1 + i%3, "product_uom_qty": 1 + i}}}}))
	}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if _, rpcErr, err := rawKW(f.url, "stock.picking", "search_read", l{l{l{"state", "=", "assigned"}}}, m{"fields": l{"name", "move_ids"}}); err != nil || rpcErr != "" {
				t.Errorf("poll: %v %s", err, rpcErr)
				return
			}
		}
	}()
	var work sync.WaitGroup
	for _, o := range orders {
		work.Add(1)
		go func(o int) {
			defer work.Done()
			if _, rpcErr, err := rawKW(f.url, "sale.order", "action_confirm", l{l{o}}, nil); err != nil || rpcErr != "" {
				t.Errorf("confirm %d: %v %s", o, err, rpcErr)
			}
		}(o)
	}
	work.Wait()
	cancel()
	wg.Wait()
	names := map[any]bool{}
	res := f.mustKW("stock.picking", "search_read", l{l{}}, m{"fields": l{"name"}})
	for i := range res.([]any) {
		names[fieldOf(res, i, "name")] = true
	}
	for i := 1; i <= n; i++ {
		if !names[fmt.Sprintf("WH/OUT/%05d", i)] {
			t.Errorf("WH/OUT/%05d missing (%d pickings)", i, len(names))
		}
	}
}
