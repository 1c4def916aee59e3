package servetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// target is the system flowctl writes to: an HTTP API on 127.0.0.1 that
// honours Idempotency-Key like a real one. The first successful request
// with a key is applied and its answer kept; a later request with the same
// key gets that answer again and is not applied. It can be made to answer
// 503 (Retry-After: 1) or to refuse connections for a while, and to refuse
// given bodies.
type target struct {
	t    *testing.T
	addr string

	flying atomic.Int64 // requests being answered

	mu       sync.Mutex
	srv      *http.Server
	applied  map[string]int    // key → times applied (1 for a correct client)
	answers  map[string][]byte // key → the answer given when it was applied
	bodies   map[string]map[string]any
	perKey   map[string]int // key → requests
	requests int
	noKey    int // requests without Idempotency-Key
	refused  int // requests answered 503 or by reject
	down503  bool
	delay    time.Duration
	// reject, when set, gives the status to answer a body with instead
	// of applying it (0 = apply).
	reject func(body map[string]any) int
}

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{t: t, applied: map[string]int{}, answers: map[string][]byte{},
		bodies: map[string]map[string]any{}, perKey: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg.addr = ln.Addr().String()
	tg.serve(ln)
	t.Cleanup(func() {
		tg.mu.Lock()
		srv := tg.srv
		tg.mu.Unlock()
		if srv != nil {
			srv.Close()
		}
	})
	return tg
}

func (tg *target) url() string { return "http://" + tg.addr }

func (tg *target) serve(ln net.Listener) {
	srv := &http.Server{Handler: tg}
	tg.mu.Lock()
	tg.srv = srv
	tg.mu.Unlock()
	go srv.Serve(ln)
}

func (tg *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tg.flying.Add(1)
	defer tg.flying.Add(-1)
	data, _ := io.ReadAll(r.Body)
	key := r.Header.Get("Idempotency-Key")
	tg.mu.Lock()
	delay := tg.delay
	tg.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.requests++
	if key == "" {
		tg.noKey++
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, `{"error":"Idempotency-Key is required"}`)
		return
	}
	tg.perKey[key]++
	if tg.down503 {
		tg.refused++
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"error":"maintenance"}`)
		return
	}
	if ans, ok := tg.answers[key]; ok {
		// A repeated key: the first answer, nothing applied.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(http.StatusCreated)
		w.Write(ans)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":%q}`+"\n", err.Error())
		return
	}
	if tg.reject != nil {
		if st := tg.reject(body); st != 0 {
			tg.refused++
			w.WriteHeader(st)
			fmt.Fprintf(w, `{"error":"refused with %d"}`+"\n", st)
			return
		}
	}
	tg.applied[key]++
	tg.bodies[key] = body
	ans := fmt.Appendf(nil, `{"id":%q}`+"\n", "job-"+key)
	tg.answers[key] = ans
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(ans)
}

// set503 makes the target answer 503 with Retry-After: 1 (or stop).
func (tg *target) set503(on bool) {
	tg.mu.Lock()
	tg.down503 = on
	tg.mu.Unlock()
}

func (tg *target) setDelay(d time.Duration) {
	tg.mu.Lock()
	tg.delay = d
	tg.mu.Unlock()
}

// refuse closes the listener and every open connection: connections are
// refused until reopen.
func (tg *target) refuse() {
	tg.mu.Lock()
	srv := tg.srv
	tg.srv = nil
	tg.mu.Unlock()
	srv.Close()
}

// reopen listens on the same address again.
func (tg *target) reopen() {
	tg.t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", tg.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		tg.t.Fatalf("target: listening on %s again: %v", tg.addr, err)
	}
	tg.serve(ln)
}

// stats are the target's counts.
type stats struct {
	keys, requests, refused, noKey int
	multi                          []string // keys applied more than once
}

func (tg *target) stats() stats {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	s := stats{keys: len(tg.applied), requests: tg.requests, refused: tg.refused, noKey: tg.noKey}
	for k, n := range tg.applied {
		if n != 1 {
			s.multi = append(s.multi, k)
		}
	}
	sort.Strings(s.multi)
	return s
}

// inFlight is the number of requests being answered now.
func (tg *target) inFlight() int { return int(tg.flying.Load()) }

func (tg *target) keys() int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return len(tg.applied)
}

// checkExactlyOnce fails the test unless exactly the keys in want were
// applied, each once.
func (tg *target) checkExactlyOnce(t *testing.T, want map[string]bool) {
	t.Helper()
	tg.mu.Lock()
	defer tg.mu.Unlock()
	var missing, extra, multi []string
	for k := range want {
		if tg.applied[k] == 0 {
			missing = append(missing, k)
		}
	}
	for k, n := range tg.applied {
		if !want[k] {
			extra = append(extra, k)
		}
		if n != 1 {
			multi = append(multi, fmt.Sprintf("%s×%d", k, n))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(multi)
	if len(missing) > 0 {
		t.Errorf("%d keys never applied at the target (lost), e.g. %v", len(missing), missing[:min(10, len(missing))])
	}
	if len(extra) > 0 {
		t.Errorf("%d unexpected keys applied, e.g. %v", len(extra), extra[:min(10, len(extra))])
	}
	if len(multi) > 0 {
		t.Errorf("%d keys applied more than once, e.g. %v", len(multi), multi[:min(10, len(multi))])
	}
}
