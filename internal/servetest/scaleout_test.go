package servetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startNATS runs a NATS server with JetStream in the test process.
func startNATS(t *testing.T) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// sender POSTs batches of records to webhook URLs, retrying each batch
// (same delivery id) until it is answered 2xx.
type sender struct {
	client   http.Client
	posts    atomic.Int64
	retries  atomic.Int64
	statuses sync.Map // status → *atomic.Int64
}

// post sends one batch to urls[0], moving on to the next URL after each
// failure.
func (s *sender) post(urls []string, delivery string, recs []map[string]any, deadline time.Time) error {
	body, _ := json.Marshal(recs)
	for try := 0; ; try++ {
		url := urls[try%len(urls)]
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", delivery)
		resp, err := s.client.Do(req)
		s.posts.Add(1)
		status := 0
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
		c, _ := s.statuses.LoadOrStore(status, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
		if status/100 == 2 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("POST %s (%s): status %d, %v", url, delivery, status, err)
		}
		s.retries.Add(1)
		time.Sleep(100 * time.Millisecond)
	}
}

// TestScaleOut: two serve processes on one external NATS server share a
// flow's work. 10,000 records are POSTed to their webhooks alternately;
// every key is applied exactly once, with no duplicate request, and each
// process settles a substantial share.
func TestScaleOut(t *testing.T) {
	const n, batch, senders = 10000, 20, 8
	ns := startNATS(t)
	tg := newTarget(t)
	dir := writeFlow(t, "webhook.hcl.tmpl", struct{ Target string }{tg.url()})

	var procs []*proc
	var addrs []string
	for i := range 2 {
		p := startProc(t, fmt.Sprintf("serve#%d", i), serveArgs(t.TempDir(), dir, "--nats", ns.ClientURL(), "--ack-wait", "5s")...)
		procs = append(procs, p)
	}
	for _, p := range procs {
		addrs = append(addrs, p.waitAddr(30*time.Second))
	}
	for _, a := range addrs {
		waitUntil(t, "ready", 30*time.Second, func() bool { st, _ := readyz(a); return st == 200 })
	}

	want := map[string]bool{}
	var batches [][]map[string]any
	for b := range n / batch {
		var recs []map[string]any
		for i := range batch {
			ref := fmt.Sprintf("W%05d", b*batch+i)
			recs = append(recs, map[string]any{"ref": ref, "qty": i + 1})
			want["job-"+ref] = true
		}
		batches = append(batches, recs)
	}
	start := time.Now()
	snd := &sender{client: http.Client{Timeout: 10 * time.Second}}
	jobs := make(chan int)
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	deadline := start.Add(60 * time.Second)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				urls := []string{"http://" + addrs[b%2] + "/hooks/orders", "http://" + addrs[(b+1)%2] + "/hooks/orders"}
				if err := snd.post(urls, fmt.Sprintf("batch-%d", b), batches[b], deadline); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for b := range batches {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sent := time.Since(start)

	waitUntil(t, "every key at the target", 60*time.Second, func() bool { return tg.keys() >= n })
	waitUntil(t, "the backlog at 0", 30*time.Second, func() bool {
		for _, a := range addrs {
			if b, ok := metricOf(a, "flowctl_backlog"); !ok || b != 0 {
				return false
			}
		}
		return true
	})
	elapsed := time.Since(start)
	var in, out [2]float64
	for i, a := range addrs {
		in[i], _ = metricOf(a, "flowctl_messages_in_total")
		out[i], _ = metricOf(a, "flowctl_messages_out_total")
	}
	for _, p := range procs {
		p.signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		if code := p.wait(30 * time.Second); code != 0 {
			t.Errorf("%s exited %d after SIGTERM, want 0", p.name, code)
		}
	}

	tg.checkExactlyOnce(t, want)
	s := tg.stats()
	var statuses []string
	snd.statuses.Range(func(k, v any) bool {
		statuses = append(statuses, fmt.Sprintf("%v×%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	t.Logf("%d records in %d POSTs of %d (%d retried; statuses %v) sent in %v; applied keys %d, target requests %d; journaled by process: %v / %v, settled by process: %v / %v; drained in %v",
		n, snd.posts.Load(), batch, snd.retries.Load(), statuses, sent.Round(time.Millisecond), s.keys, s.requests, in[0], in[1], out[0], out[1], elapsed.Round(time.Millisecond))
	if s.requests != s.keys {
		t.Errorf("target requests %d != applied keys %d: duplicate writes without a crash", s.requests, s.keys)
	}
	if in[0]+in[1] != n {
		t.Errorf("journaled %v + %v messages, want %d", in[0], in[1], n)
	}
	if out[0]+out[1] != n {
		t.Errorf("settled %v + %v messages, want %d", out[0], out[1], n)
	}
	for i := range out {
		if out[i] <= n/10 {
			t.Errorf("serve#%d settled %v of %d messages: not a substantial share (want > 10%%)", i, out[i], n)
		}
	}
}

// metricOf scrapes one metric of flow orders from a process.
func metricOf(addr, name string) (float64, bool) {
	text, err := metrics(addr)
	if err != nil {
		return 0, false
	}
	return metric(text, name, `flow="orders"`)
}

// TestScaleOutKill: as TestScaleOut, but one of the two processes is
// killed with SIGKILL while it works; the senders move to the other one,
// which also takes over the messages the dead one held once --ack-wait
// has passed. Every key is applied exactly once.
func TestScaleOutKill(t *testing.T) {
	const n, batch, senders = 6000, 20, 8
	ns := startNATS(t)
	tg := newTarget(t)
	tg.setDelay(2 * time.Millisecond)
	dir := writeFlow(t, "webhook.hcl.tmpl", struct{ Target string }{tg.url()})
	var procs []*proc
	var addrs []string
	for i := range 2 {
		procs = append(procs, startProc(t, fmt.Sprintf("serve#%d", i), serveArgs(t.TempDir(), dir, "--nats", ns.ClientURL(), "--ack-wait", "2s")...))
	}
	for _, p := range procs {
		a := p.waitAddr(30 * time.Second)
		addrs = append(addrs, a)
		waitUntil(t, "ready", 30*time.Second, func() bool { st, _ := readyz(a); return st == 200 })
	}
	want := map[string]bool{}
	start := time.Now()
	snd := &sender{client: http.Client{Timeout: 10 * time.Second}}
	jobs := make(chan int)
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	deadline := start.Add(60 * time.Second)
	batches := make([][]map[string]any, n/batch)
	for b := range batches {
		for i := range batch {
			ref := fmt.Sprintf("K%05d", b*batch+i)
			batches[b] = append(batches[b], map[string]any{"ref": ref, "qty": i + 1})
			want["job-"+ref] = true
		}
	}
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				urls := []string{"http://" + addrs[b%2] + "/hooks/orders", "http://" + addrs[(b+1)%2] + "/hooks/orders"}
				if err := snd.post(urls, fmt.Sprintf("batch-%d", b), batches[b], deadline); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	killed := make(chan string, 1)
	go func() {
		for tg.keys() < n*2/5 {
			time.Sleep(5 * time.Millisecond)
		}
		s := tg.stats()
		procs[0].cmd.Process.Kill()
		killed <- fmt.Sprintf("serve#0 killed at %d keys, %d requests, %v", s.keys, s.requests, time.Since(start).Round(time.Millisecond))
	}()
	for b := range batches {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Log(<-killed)
	procs[0].wait(10 * time.Second)
	waitUntil(t, "every key at the target", 60*time.Second, func() bool { return tg.keys() >= n })
	waitUntil(t, "the backlog at 0", 30*time.Second, func() bool {
		b, ok := metricOf(addrs[1], "flowctl_backlog")
		return ok && b == 0
	})
	elapsed := time.Since(start)
	out, _ := metricOf(addrs[1], "flowctl_messages_out_total")
	redelivered, _ := metricOf(addrs[1], "flowctl_redeliveries_total")
	procs[1].signal(syscall.SIGTERM)
	if code := procs[1].wait(30 * time.Second); code != 0 {
		t.Errorf("serve#1 exited %d after SIGTERM, want 0", code)
	}
	tg.checkExactlyOnce(t, want)
	s := tg.stats()
	t.Logf("%d records, %d POSTs (%d retried); applied keys %d, target requests %d (%d duplicates absorbed); survivor settled %v (%v redeliveries); drained in %v",
		n, snd.posts.Load(), snd.retries.Load(), s.keys, s.requests, s.requests-s.keys, out, redelivered, elapsed.Round(time.Millisecond))
}
