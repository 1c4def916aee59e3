package servetest

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
)

// sample is one scrape of a serve process's metrics.
type sample struct {
	at                            time.Duration
	retries, opened, closed, half float64
	backlog                       float64
	hasBacklog                    bool
}

// sampler scrapes addr every interval until stopped.
type sampler struct {
	mu      sync.Mutex
	samples []sample
	stop    chan struct{}
	done    chan struct{}
}

func sampleMetrics(addr string, start time.Time, every time.Duration) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			if text, err := metrics(addr); err == nil {
				var sm sample
				sm.at = time.Since(start)
				sm.retries, _ = metric(text, "flowctl_target_retries_total", `flow="orders"`)
				sm.opened, _ = metric(text, "flowctl_circuit_transitions_total", `flow="orders"`, `state="open"`)
				sm.closed, _ = metric(text, "flowctl_circuit_transitions_total", `flow="orders"`, `state="closed"`)
				sm.half, _ = metric(text, "flowctl_circuit_transitions_total", `flow="orders"`, `state="half_open"`)
				sm.backlog, sm.hasBacklog = metric(text, "flowctl_backlog", `flow="orders"`)
				s.mu.Lock()
				s.samples = append(s.samples, sm)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return s
}

func (s *sampler) finish() []sample {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

func (s *sampler) last() (sample, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.samples) == 0 {
		return sample{}, false
	}
	return s.samples[len(s.samples)-1], true
}

// TestTargetOutage: mid-run the target answers 503 for 3 s, then refuses
// connections for 2 s, then recovers. Nothing is lost or dead-lettered;
// the metrics show the retries, the circuit opening and closing again,
// and the backlog back at 0.
func TestTargetOutage(t *testing.T) {
	const files, perFile = 6, 500
	const n = files * perFile
	tg := newTarget(t)
	tg.setDelay(20 * time.Millisecond) // so the run lasts long enough to be cut in the middle
	fl := newInboxFlow(t, tg)
	fl.Attempts, fl.Initial, fl.Max = 4, "50ms", "500ms"
	fl.render(t)
	want := map[string]bool{}
	for f := range files {
		recs := orders(f, perFile)
		for _, r := range recs {
			want["job-"+r["ref"].(string)] = true
		}
		writeRecords(t, fl.Inbox, fmt.Sprintf("orders-%03d.ndjson", f), recs)
	}

	start := time.Now()
	p := startProc(t, "serve", serveArgs(fl.Data, fl.Dir, "--ack-wait", "2s", "--workers", "32")...)
	addr := p.waitAddr(30 * time.Second)
	smp := sampleMetrics(addr, start, 100*time.Millisecond)

	waitUntil(t, "a third of the keys", 60*time.Second, func() bool { return tg.keys() >= n/3 })
	at503 := time.Since(start)
	before := tg.stats()
	tg.set503(true)
	time.Sleep(3 * time.Second)
	atRefuse := time.Since(start)
	tg.refuse()
	tg.set503(false)
	during := tg.stats()
	time.Sleep(2 * time.Second)
	atUp := time.Since(start)
	tg.reopen()
	t.Logf("outage: 503 from %v (%d keys applied), connections refused from %v (%d keys), up again at %v",
		at503.Round(time.Millisecond), before.keys, atRefuse.Round(time.Millisecond), during.keys, atUp.Round(time.Millisecond))

	waitUntil(t, "every key and the backlog at 0", 60*time.Second, func() bool {
		if tg.keys() < n || len(filesIn(t, fl.Inbox, "*.ndjson")) > 0 {
			return false
		}
		s, ok := smp.last()
		return ok && s.hasBacklog && s.backlog == 0 && s.at > time.Since(start)-time.Second
	})
	drained := time.Since(start)
	// One more scrape after the end, then stop.
	time.Sleep(300 * time.Millisecond)
	samples := smp.finish()
	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}

	st := readStore(t, durable.Options{DataDir: fl.Data})
	for _, d := range st.deadLetters {
		t.Errorf("dead letter: key %s, %s: %s (%d attempts)", d.Entry.Key, d.Step, d.Error, len(d.Attempts))
	}
	tg.checkExactlyOnce(t, want)

	// The metrics' story: retries, the circuit opened during the outage
	// and closed after it, the backlog back at 0.
	var firstOpen, closedAfterOpen *sample
	var maxBacklog float64
	for i := range samples {
		s := &samples[i]
		maxBacklog = max(maxBacklog, s.backlog)
		if firstOpen == nil && s.opened >= 1 {
			firstOpen = s
		}
		if firstOpen != nil && closedAfterOpen == nil && s.closed > firstOpen.closed {
			closedAfterOpen = s
		}
	}
	end := samples[len(samples)-1]
	if end.retries == 0 {
		t.Errorf("flowctl_target_retries_total = 0 after the outage")
	}
	switch {
	case firstOpen == nil:
		t.Errorf("flowctl_circuit_transitions_total{state=\"open\"} never reached 1")
	case closedAfterOpen == nil:
		t.Errorf("the circuit opened at %v but flowctl_circuit_transitions_total{state=\"closed\"} did not grow after it (%v)", firstOpen.at, end.closed)
	}
	if !end.hasBacklog || end.backlog != 0 {
		t.Errorf("flowctl_backlog at the end = %v, want 0", end.backlog)
	}
	s := tg.stats()
	t.Logf("applied keys %d, target requests %d (refused %d), dead letters %d; retries %v, circuit opened %v, half-open %v, closed %v times; backlog peak %v, 0 again at %v; %d scrapes",
		s.keys, s.requests, s.refused, len(st.deadLetters), end.retries, end.opened, end.half, end.closed, maxBacklog, drained.Round(time.Millisecond), len(samples))
	if firstOpen != nil && closedAfterOpen != nil {
		t.Logf("circuit first seen open at %v, closed again at %v", firstOpen.at.Round(time.Millisecond), closedAfterOpen.at.Round(time.Millisecond))
	}
}
