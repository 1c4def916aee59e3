// Package serve runs flows continuously on the durable layer: sources are
// watched and every inbound message is journaled before the source lets go
// of it; workers take journaled messages, run the flow and write each
// operation once per idempotency key, with retries, a circuit breaker per
// target and a dead-letter store for what cannot be processed.
package serve

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure a Server.
type Options struct {
	Store    *durable.Store
	Plan     *engine.Plan
	Flows    []*engine.FlowPlan // the flows to run (default: all of Plan's)
	PlanHash string             // recorded with every journaled message
	// Listen is the address of the HTTP listener (health, metrics,
	// webhooks); "" = 127.0.0.1:8080. Listener, when set, is used instead.
	Listen   string
	Listener net.Listener
	// Workers per flow (default 32): writes wait on targets, so this is
	// the number of writes in flight, not of CPUs.
	Workers int
	// BacklogLimit is the number of journaled, unsettled messages of a
	// flow at which its intake pauses (default 100,000).
	BacklogLimit int
	// AckWait is how long a delivered message stays with a worker before
	// the journal hands it to another (renewed while the worker waits).
	AckWait time.Duration
	// MaxDeliver dead-letters a message delivered this many times without
	// an outcome (it kept crashing or stalling its process); default 10.
	MaxDeliver   int
	DrainTimeout time.Duration // default 30s
	Breaker      BreakerOptions
	Logger       *slog.Logger
	Metrics      *Metrics
	Context      *engine.RunContext
	// OnSettled, when set, is called by the worker after a message has
	// been settled with the journal (acknowledged with its outcome; not
	// for requeued or interrupted messages): benchmarks and tests.
	OnSettled func(flow string, e *durable.Entry, rep Report)
}

// Server runs the flows.
type Server struct {
	opts    Options
	log     *slog.Logger
	m       *Metrics
	flows   []*flowRun
	mux     *http.ServeMux
	ln      net.Listener
	closing atomic.Bool

	mu         sync.Mutex
	journalErr error     // the last journal failure, for /readyz
	journalAt  time.Time // when it happened
	started    bool
}

// New checks that every flow can run under serve and prepares it; nothing
// is started yet.
func New(opts Options) (*Server, error) {
	if opts.Workers <= 0 {
		opts.Workers = 32
	}
	if opts.BacklogLimit <= 0 {
		opts.BacklogLimit = 100_000
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 30 * time.Second
	}
	if opts.MaxDeliver <= 0 {
		opts.MaxDeliver = 10
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 30 * time.Second
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:8080"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	rc := engine.RunContext{}
	if opts.Context != nil {
		rc = *opts.Context
	}
	rc.Durable = true
	opts.Context = &rc
	if opts.Flows == nil {
		opts.Flows = opts.Plan.Flows
	}
	s := &Server{opts: opts, log: opts.Logger, m: opts.Metrics, mux: http.NewServeMux()}
	paths := map[string]string{}
	var errs []string
	for _, fp := range opts.Flows {
		fr := &flowRun{s: s, fp: fp, gate: newGate()}
		k, ok := engine.DefaultRegistry.Get(fp.Source.Kind)
		switch {
		case !ok || k.Source == nil:
			errs = append(errs, fmt.Sprintf("flow %s (%s): unknown source kind %s", fp.Name, fp.Source.Range, fp.Source.Kind))
			continue
		case k.Source.Webhook != nil:
			path, h := k.Source.Webhook(fp.Source, fr.accept)
			if other, dup := paths[path]; dup {
				errs = append(errs, fmt.Sprintf("flow %s (%s): webhook path %s is already used by flow %s", fp.Name, fp.Source.Range, path, other))
				continue
			}
			if path == "/healthz" || path == "/readyz" || path == "/metrics" {
				errs = append(errs, fmt.Sprintf("flow %s (%s): webhook path %s is reserved", fp.Name, fp.Source.Range, path))
				continue
			}
			paths[path] = fp.Name
			fr.webhook = h
			s.mux.Handle(path, h)
		case k.Source.Watch != nil:
			fr.watch = k.Source.Watch
		default:
			errs = append(errs, fmt.Sprintf("flow %s (%s): a %s source cannot run under serve", fp.Name, fp.Source.Range, fp.Source.Kind))
			continue
		}
		s.flows = append(s.flows, fr)
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("/readyz", s.readyz)
	s.mux.Handle("/metrics", promhttp.HandlerFor(s.m.Registry, promhttp.HandlerOpts{}))
	return s, nil
}

// Addr is the listener's address once Run has started.
func (s *Server) Addr() string {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// Handler is the HTTP handler (health, metrics, webhooks).
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	var why []string
	s.mu.Lock()
	if !s.started {
		why = append(why, "starting")
	}
	if s.journalErr != nil && time.Since(s.journalAt) < 10*time.Second {
		why = append(why, "journal: "+s.journalErr.Error())
	}
	s.mu.Unlock()
	if s.closing.Load() {
		why = append(why, "shutting down")
	}
	if !s.opts.Store.NC.IsConnected() {
		why = append(why, "not connected to NATS")
	}
	for _, fr := range s.flows {
		if fr.gate.paused.Load() {
			why = append(why, fmt.Sprintf("flow %s: intake paused (%s)", fr.fp.Name, fr.gate.why()))
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(why) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(why, "\n"))
		return
	}
	fmt.Fprintln(w, "ready")
}

func (s *Server) journalFailed(err error) {
	s.mu.Lock()
	s.journalErr, s.journalAt = err, time.Now()
	s.mu.Unlock()
}

// Run starts everything and blocks until ctx ends; then it stops intake,
// lets in-flight messages finish within DrainTimeout, leaves the rest in
// the journal for redelivery, and returns.
func (s *Server) Run(ctx context.Context) error {
	ln := s.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.opts.Listen); err != nil {
			return fmt.Errorf("listen %s: %w", s.opts.Listen, err)
		}
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	s.log.Info("listening", "addr", ln.Addr().String())

	intakeCtx, stopIntake := context.WithCancel(context.Background())
	workCtx, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	var intakeWG, workWG sync.WaitGroup
	for _, fr := range s.flows {
		if err := fr.start(ctx, intakeCtx, workCtx, &intakeWG, &workWG); err != nil {
			stopIntake()
			stopWork()
			srv.Close()
			return err
		}
	}
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	names := make([]string, 0, len(s.flows))
	for _, fr := range s.flows {
		names = append(names, fr.fp.Name)
	}
	sort.Strings(names)
	s.log.Info("serving", "flows", strings.Join(names, ","), "plan", s.opts.PlanHash, "embedded_nats", s.opts.Store.Embedded())

	<-ctx.Done()
	s.closing.Store(true)
	s.log.Info("stopping: intake closed, draining in-flight messages", "drain_timeout", s.opts.DrainTimeout.String())
	stopIntake()
	intakeWG.Wait() // journaled messages are acknowledged to their sources
	for _, fr := range s.flows {
		fr.stopFetching()
	}
	drained := make(chan struct{})
	go func() { workWG.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(s.opts.DrainTimeout):
		s.log.Warn("drain timeout: unfinished messages stay in the journal for redelivery")
		stopWork()
		<-drained
	}
	for _, fr := range s.flows {
		fr.closeWriters()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	s.log.Info("stopped")
	return nil
}

// flowRun is one flow under serve.
type flowRun struct {
	s       *Server
	fp      *engine.FlowPlan
	watch   func(context.Context, *engine.SourcePlan, *engine.WatchContext) (engine.RecordReader, error)
	webhook http.Handler
	gate    *gate
	h       *Handler
	cons    jetstream.Consumer
	iter    jetstream.MessagesContext
	keyProc *engine.Processor
	keyMu   sync.Mutex

	requeueLog sampler
	held       heldSet

	// The backlog as last read from the consumer, plus what intake has
	// journaled since: the monitor reads every 250 ms, and a fast source
	// would overshoot the limit by far in between.
	lastBacklog    atomic.Int64
	journaledSince atomic.Int64
}

// noteJournaled counts a journaled message and closes the gate as soon as
// the estimated backlog reaches the limit.
func (fr *flowRun) noteJournaled() {
	n := fr.journaledSince.Add(1)
	if limit := int64(fr.s.opts.BacklogLimit); fr.lastBacklog.Load()+n >= limit {
		fr.gate.close(fmt.Sprintf("backlog ~%d ≥ limit %d", fr.lastBacklog.Load()+n, limit))
	}
}

// heldSet is the messages taken from the journal that no worker has
// started on yet; their leases are renewed until one does.
type heldSet struct {
	mu   sync.Mutex
	msgs map[jetstream.Msg]struct{}
}

func (h *heldSet) add(m jetstream.Msg) {
	h.mu.Lock()
	if h.msgs == nil {
		h.msgs = map[jetstream.Msg]struct{}{}
	}
	h.msgs[m] = struct{}{}
	h.mu.Unlock()
}

func (h *heldSet) take(m jetstream.Msg) {
	h.mu.Lock()
	delete(h.msgs, m)
	h.mu.Unlock()
}

// renew sends InProgress for every held message each interval until ctx
// ends or the dispatcher is done (every message then is with a worker).
func (h *heldSet) renew(ctx context.Context, dispatched <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-dispatched:
			return
		case <-t.C:
		}
		h.mu.Lock()
		held := make([]jetstream.Msg, 0, len(h.msgs))
		for m := range h.msgs {
			held = append(held, m)
		}
		h.mu.Unlock()
		for _, m := range held {
			m.InProgress()
		}
	}
}

// sampler lets one log line a second through and counts the others.
type sampler struct {
	mu     sync.Mutex
	last   time.Time
	missed int
}

func (s *sampler) allow(now time.Time) (stands int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.missed++
	if now.Sub(s.last) < time.Second {
		return 0, false
	}
	n := s.missed
	s.last, s.missed = now, 0
	return n, true
}

func (fr *flowRun) start(ctx, intakeCtx, workCtx context.Context, intakeWG, workWG *sync.WaitGroup) error {
	s := fr.s
	writers, err := engine.OpenTargets(fr.fp, s.opts.Context)
	if err != nil {
		return fmt.Errorf("flow %s: %w", fr.fp.Name, err)
	}
	fr.h = NewHandler(s.opts.Store, fr.fp, s.opts.PlanHash, writers, s.m, s.log, s.opts.Breaker)
	fr.h.Heartbeat = max(s.opts.AckWait/3, 100*time.Millisecond)
	fr.h.Lease = max(2*s.opts.AckWait, 10*time.Second)
	fr.keyProc = engine.NewProcessor(s.opts.Plan, fr.fp)
	s.m.In.WithLabelValues(fr.fp.Name)
	s.m.IntakePaused.WithLabelValues(fr.fp.Name).Set(0)

	cfg := jetstream.ConsumerConfig{
		Durable:       "work_" + fr.fp.Name,
		Description:   "flowctl workers of flow " + fr.fp.Name,
		FilterSubject: durable.Subject(fr.fp.Name),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.opts.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: max(1000, s.opts.Workers*8),
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	var mopts []jetstream.PullMessagesOpt
	mopts = append(mopts, jetstream.PullMaxMessages(s.opts.Workers))
	if fr.fp.Ordered {
		// One process at a time takes an ordered flow's messages (the
		// others stand by and take over when it stops pulling); within
		// the process, a key always goes to the same worker.
		cfg.PriorityPolicy = jetstream.PriorityPolicyPinned
		cfg.PriorityGroups = []string{"flowctl"}
		cfg.PinnedTTL = max(s.opts.AckWait, 5*time.Second)
		mopts = append(mopts, jetstream.PullPriorityGroup("flowctl"))
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	fr.cons, err = s.opts.Store.JS.CreateOrUpdateConsumer(cctx, durable.JournalStream, cfg)
	if err != nil {
		return fmt.Errorf("flow %s: work consumer: %w", fr.fp.Name, err)
	}
	fr.iter, err = fr.cons.Messages(mopts...)
	if err != nil {
		return fmt.Errorf("flow %s: work consumer: %w", fr.fp.Name, err)
	}

	// Workers.
	n := s.opts.Workers
	chans := make([]chan jetstream.Msg, n)
	shared := make(chan jetstream.Msg)
	for i := range chans {
		ch := shared
		if fr.fp.Ordered {
			ch = make(chan jetstream.Msg, 4)
		}
		chans[i] = ch
		workWG.Add(1)
		go func() {
			defer workWG.Done()
			proc := engine.NewProcessor(s.opts.Plan, fr.fp)
			for msg := range ch {
				fr.work(workCtx, proc, msg)
			}
		}()
	}
	dispatched := make(chan struct{})
	workWG.Add(1)
	go func() {
		defer workWG.Done()
		defer close(dispatched)
		defer func() {
			if fr.fp.Ordered {
				for _, ch := range chans {
					close(ch)
				}
			} else {
				close(shared)
			}
		}()
		for {
			msg, err := fr.iter.Next()
			if err != nil {
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					return
				}
				s.log.Warn("fetching from the journal", "flow", fr.fp.Name, "error", err)
				continue
			}
			ch := shared
			if fr.fp.Ordered {
				h := fnv.New32a()
				h.Write([]byte(msg.Headers().Get("Flowctl-Key")))
				ch = chans[int(h.Sum32()%uint32(n))]
			}
			// Until a worker starts on it, the message waits here or in a
			// worker's queue: keep its lease, or a long stall (a target
			// down) would hand it to another worker as well.
			fr.held.add(msg)
			ch <- msg
		}
	}()
	workWG.Add(1)
	go func() {
		defer workWG.Done()
		fr.held.renew(workCtx, dispatched, fr.h.Heartbeat)
	}()

	// Backlog monitor.
	workWG.Add(1)
	go func() {
		defer workWG.Done()
		fr.monitor(workCtx, intakeCtx)
	}()

	// Intake.
	if fr.watch != nil {
		intakeWG.Add(1)
		go func() {
			defer intakeWG.Done()
			fr.runWatch(intakeCtx)
		}()
	}
	return nil
}

func (fr *flowRun) stopFetching() {
	if fr.iter != nil {
		fr.iter.Drain()
	}
}

func (fr *flowRun) closeWriters() {
	if fr.h == nil {
		return
	}
	for name, w := range fr.h.Writers {
		if err := w.Close(); err != nil {
			fr.s.log.Error("closing target", "flow", fr.fp.Name, "target", name, "error", err)
		}
	}
}

// work handles one delivered message and settles it with the journal.
func (fr *flowRun) work(ctx context.Context, proc *engine.Processor, msg jetstream.Msg) {
	fr.held.take(msg)
	s := fr.s
	md, err := msg.Metadata()
	if err != nil {
		s.log.Error("journal message without metadata", "flow", fr.fp.Name, "error", err)
		msg.Nak()
		return
	}
	e := durable.EntryOf(msg.Subject(), msg.Headers(), msg.Data(), md.Sequence.Stream, md.Timestamp)
	log := s.log.With("flow", fr.fp.Name, "journal_seq", e.Seq, "key", e.Key)
	if md.NumDelivered > 1 {
		s.m.Redelivered.WithLabelValues(fr.fp.Name).Inc()
	}
	var rep Report
	if fr.crashLooping(ctx, e.Seq, int(md.NumDelivered)) {
		rep = fr.h.deadLetter(ctx, e, Report{}, "delivery", fmt.Sprintf("delivered %d times without an outcome (its processing kept crashing or stalling)", md.NumDelivered), "", nil)
	} else {
		rep = fr.h.Handle(ctx, proc, e, func() { msg.InProgress() })
	}
	switch rep.Outcome {
	case Requeue:
		// While a target or the store is down every message comes this
		// way: one line a second per flow, with how many it stands for.
		if n, ok := fr.requeueLog.allow(time.Now()); ok {
			log.Warn("message requeued", "reason", rep.Err, "retry_in", rep.RetryAfter.String(), "requeued_since_last_line", n)
		}
		if err := s.opts.Store.CountRequeue(ctx, fr.fp.Name, e.Seq); err != nil && ctx.Err() == nil {
			if _, ok := fr.requeueLog.allow(time.Now()); ok {
				log.Warn("counting a requeue", "error", err)
			}
		}
		msg.NakWithDelay(rep.RetryAfter)
		return
	case Stopped:
		// Cut off by shutdown: not this message's doing, so it does not
		// count towards --max-deliver.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		s.opts.Store.CountRequeue(cctx, fr.fp.Name, e.Seq)
		cancel()
		msg.Nak()
		return
	case DeadLettered:
		d := rep.DeadLetter
		log.Error("message dead-lettered", "step", d.Step, "error", d.Error, "attempts", len(d.Attempts))
	case Delivered:
		log.Debug("delivered", "targets", strings.Join(rep.Written, ","))
	}
	if err := msg.Ack(); err != nil {
		log.Warn("acknowledging to the journal failed; the message will come again and be a duplicate", "error", err)
	}
	s.m.Out.WithLabelValues(fr.fp.Name, string(rep.Outcome)).Inc()
	if !e.ReceivedAt.IsZero() {
		s.m.EndToEnd.WithLabelValues(fr.fp.Name).Observe(time.Since(e.ReceivedAt).Seconds())
	}
	if s.opts.OnSettled != nil {
		s.opts.OnSettled(fr.fp.Name, e, rep)
	}
}

// crashLooping reports whether a message was delivered more than
// MaxDeliver times without an outcome; requeues serve asked for (the
// target was down) do not count.
func (fr *flowRun) crashLooping(ctx context.Context, seq uint64, delivered int) bool {
	if delivered <= fr.s.opts.MaxDeliver {
		return false
	}
	n, err := fr.s.opts.Store.RequeueCount(ctx, fr.fp.Name, seq)
	if err != nil {
		return false // cannot tell: process it
	}
	return delivered-n > fr.s.opts.MaxDeliver
}

// monitor reads the backlog and dead-letter counts and opens or closes the
// intake gate.
func (fr *flowRun) monitor(workCtx, intakeCtx context.Context) {
	s := fr.s
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	tick := 0
	for {
		select {
		case <-workCtx.Done():
			return
		case <-intakeCtx.Done():
			return
		case <-t.C:
		}
		tick++
		ctx, cancel := context.WithTimeout(workCtx, 2*time.Second)
		since := fr.journaledSince.Load()
		info, err := fr.cons.Info(ctx)
		if err == nil {
			backlog := int(info.NumPending) + info.NumAckPending
			fr.lastBacklog.Store(int64(backlog))
			fr.journaledSince.Add(-since)
			s.m.Backlog.WithLabelValues(fr.fp.Name).Set(float64(backlog))
			switch {
			case backlog >= s.opts.BacklogLimit:
				fr.gate.close(fmt.Sprintf("backlog %d ≥ limit %d", backlog, s.opts.BacklogLimit))
			case backlog < max(s.opts.BacklogLimit*9/10, 1): // limit 1: resume when empty
				fr.gate.open("backlog")
			}
		}
		if tick%8 == 1 {
			if counts, err := s.opts.Store.DeadLetterCounts(ctx); err == nil {
				s.m.DeadLetters.WithLabelValues(fr.fp.Name).Set(float64(counts[fr.fp.Name]))
			}
		}
		cancel()
		if fr.gate.paused.Load() {
			s.m.IntakePaused.WithLabelValues(fr.fp.Name).Set(1)
		} else {
			s.m.IntakePaused.WithLabelValues(fr.fp.Name).Set(0)
		}
	}
}
