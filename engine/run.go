package engine

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"time"
)

// RecordReader yields the input messages of a one-shot run.
type RecordReader interface {
	// Next returns the next message; ok is false at the end. A returned
	// error is fatal for the run (I/O); a record that cannot be decoded is a
	// message with Err set, not an error.
	Next() (m *Message, ok bool, err error)
	Close() error
}

// TargetWriter performs target operations.
type TargetWriter interface {
	Write(ctx context.Context, op *Operation) error
	Close() error
}

// RunContext is what connectors get when they open sources and targets.
type RunContext struct {
	Stdin  io.Reader
	Stdout io.Writer
	// DryRun tells sources that nothing may change: a folder source reads
	// its files but neither archives them nor records checksums.
	DryRun bool
	// Durable tells targets that the caller records a write as done, and
	// lets go of its message, as soon as Write returns (serve): a write must
	// have reached the operating system by then, not a buffer, and a target
	// must not discard what earlier runs wrote.
	Durable bool
}

// RunOptions configure one run of one flow.
type RunOptions struct {
	Workers int  // 0 → GOMAXPROCS
	DryRun  bool // compute operations, write nothing
	// Input replaces the flow's source (flowctl run --input, tests, diff).
	Input RecordReader
	// Rejects receives one JSON line per rejected message; nil discards
	// them (callers that run for real must give one: nothing is lost).
	Rejects io.Writer
	// OnResult sees every result in input order (dry-run output, tests).
	OnResult func(*Result) error
	Context  *RunContext
	// Now pins now() and meta.received_at (flow tests, diffs); nil = wall clock.
	Now func() time.Time
}

// Summary counts what a run did.
type Summary struct {
	Flow      string         `json:"flow"`
	Records   int            `json:"records"`
	Delivered int            `json:"delivered"`
	Rejected  int            `json:"rejected"`
	Skipped   int            `json:"skipped"`
	Warnings  int            `json:"warnings"`
	Targets   map[string]int `json:"targets"` // operations per target
	DryRun    bool           `json:"dry_run"`
	Seconds   float64        `json:"seconds"`
}

// batchSize trades channel overhead against latency; one-shot runs care
// about throughput.
const batchSize = 64

type batch struct {
	idx  int
	msgs []*Message
	res  []Result
}

// Run executes one flow over its source (or opts.Input) with a bounded
// worker pool. Results are handed on in input order, so per-key order (and
// every other order) is kept; memory is bounded by the batches in flight.
func Run(ctx context.Context, plan *Plan, fp *FlowPlan, opts RunOptions) (*Summary, error) {
	start := time.Now()
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rc := &RunContext{}
	if opts.Context != nil {
		c := *opts.Context
		rc = &c
	}
	rc.DryRun = opts.DryRun
	in := opts.Input
	if in == nil {
		var err error
		if in, err = openSource(fp, rc); err != nil {
			return nil, err
		}
	}
	defer in.Close()
	sink, err := newSink(fp, opts, rc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
		plan.Clock.Set(opts.Now)
		defer plan.Clock.Set(nil)
	}

	inflight := make(chan struct{}, workers*4) // bounds memory: batches between reader and sink
	jobs := make(chan *batch, workers)
	done := make(chan *batch, workers)
	var readErr error
	go func() {
		defer close(jobs)
		seq := 0
		for idx := 0; ctx.Err() == nil; idx++ {
			b := &batch{idx: idx, msgs: make([]*Message, 0, batchSize)}
			for len(b.msgs) < batchSize {
				m, ok, err := in.Next()
				if err != nil {
					readErr = err
					break
				}
				if !ok {
					break
				}
				m.Seq = seq
				seq++
				if m.ReceivedAt.IsZero() {
					m.ReceivedAt = now().UTC()
				}
				b.msgs = append(b.msgs, m)
			}
			if len(b.msgs) == 0 {
				return
			}
			select {
			case inflight <- struct{}{}:
			case <-ctx.Done():
				return
			}
			jobs <- b
			if len(b.msgs) < batchSize {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newProcessor(fp, plan.Globals)
			for b := range jobs {
				b.res = make([]Result, len(b.msgs))
				for i, m := range b.msgs {
					b.res[i] = p.process(m)
				}
				done <- b
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	// Resequence: hand results on in batch order.
	pending := map[int]*batch{}
	next := 0
	var sinkErr error
	for b := range done {
		pending[b.idx] = b
		for pb, ok := pending[next]; ok; pb, ok = pending[next] {
			delete(pending, next)
			next++
			<-inflight
			if sinkErr != nil {
				continue // drain so the workers can finish
			}
			for i := range pb.res {
				if sinkErr = sink.handle(ctx, &pb.res[i]); sinkErr != nil {
					cancel()
					break
				}
			}
		}
	}
	closeErr := sink.close()
	s := sink.summary
	s.Seconds = time.Since(start).Seconds()
	switch {
	case readErr != nil:
		return &s, fmt.Errorf("reading input: %w", readErr)
	case sinkErr != nil:
		return &s, sinkErr
	case closeErr != nil:
		return &s, closeErr
	}
	return &s, nil
}

func openSource(fp *FlowPlan, rc *RunContext) (RecordReader, error) {
	k, ok := DefaultRegistry.Get(fp.Source.Kind)
	if !ok || k.Source == nil || k.Source.Open == nil {
		return nil, fmt.Errorf("the %s source cannot run one-shot yet; give records with --input FILE", fp.Source.Kind)
	}
	return k.Source.Open(fp.Source, rc)
}

// sink takes results in order: writes operations (unless dry run), keeps
// rejects, counts.
type sink struct {
	opts    RunOptions
	writers map[string]TargetWriter
	retry   map[string]RetryPolicy
	rejects *rejectWriter
	summary Summary
}

func newSink(fp *FlowPlan, opts RunOptions, rc *RunContext) (*sink, error) {
	s := &sink{opts: opts, writers: map[string]TargetWriter{}, retry: map[string]RetryPolicy{},
		summary: Summary{Flow: fp.Name, Targets: map[string]int{}, DryRun: opts.DryRun}}
	for _, t := range fp.Targets {
		s.summary.Targets[t.Name] = 0
	}
	if opts.Rejects != nil {
		s.rejects = &rejectWriter{w: opts.Rejects}
	}
	if opts.DryRun {
		return s, nil
	}
	writers, err := OpenTargets(fp, rc)
	if err != nil {
		return nil, err
	}
	s.writers = writers
	for _, t := range fp.Targets {
		s.retry[t.Name] = retryPolicyOf(t)
	}
	return s, nil
}

func (s *sink) handle(ctx context.Context, r *Result) error {
	s.summary.Records++
	s.summary.Warnings += len(r.Warnings)
	if r.Outcome == Delivered && !s.opts.DryRun {
		for i := range r.Ops {
			op := &r.Ops[i]
			if _, err := writeWithRetry(ctx, s.writers[op.Target], op, s.retry[op.Target], rand.Float64, Sleep); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				// The message is kept as a rejection; targets already
				// written are listed in the reason.
				done := make([]string, 0, i)
				for _, o := range r.Ops[:i] {
					done = append(done, o.Target)
				}
				msg := fmt.Sprintf("writing to target %s: %v", op.Target, err)
				if len(done) > 0 {
					msg += fmt.Sprintf(" (already written to %v)", done)
				}
				r.Outcome, r.Reject = Rejected, &Rejection{Rule: "target." + op.Target, Message: msg}
				r.Ops = r.Ops[:i]
				break
			}
		}
	}
	switch r.Outcome {
	case Delivered:
		s.summary.Delivered++
	case Rejected:
		s.summary.Rejected++
		if s.rejects != nil {
			if err := s.rejects.write(r); err != nil {
				return fmt.Errorf("writing rejects: %w", err)
			}
		}
	case Skipped:
		s.summary.Skipped++
	}
	for _, op := range r.Ops {
		s.summary.Targets[op.Target]++
	}
	if r.receipt != nil {
		// The outcome is final and kept (rejects go to the rejects store),
		// so the source may let go of the message.
		if err := r.receipt.Ack(ctx); err != nil {
			return fmt.Errorf("acknowledging message %d to its source: %w", r.Seq, err)
		}
	}
	if s.opts.OnResult != nil {
		return s.opts.OnResult(r)
	}
	return nil
}

func (s *sink) close() error {
	var first error
	names := make([]string, 0, len(s.writers))
	for n := range s.writers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := s.writers[n].Close(); err != nil && first == nil {
			first = fmt.Errorf("target %s: %w", n, err)
		}
	}
	return first
}

// WriteResult is what a target reports about a write it did: the record's
// id in the target and a digest of its response. Serve keeps it in the
// idempotency store next to the key.
type WriteResult struct {
	ID     string `json:"id,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// ResultWriter is a TargetWriter that can say what it wrote.
type ResultWriter interface {
	WriteResult(ctx context.Context, op *Operation) (WriteResult, error)
}
