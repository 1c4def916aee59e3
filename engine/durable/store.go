// Package durable is flowctl's durable layer on NATS JetStream: the
// journal of inbound messages (which is also the work queue), the
// dead-letter and audit streams, and the key-value buckets for idempotency,
// source positions and recorded flow versions. The same code runs against
// a NATS server embedded in the process (data in a local folder) or an
// external server or cluster.
package durable

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Stream, subject and bucket names. They are part of the on-disk and
// on-cluster format: changing one orphans existing data.
const (
	JournalStream = "FLOWCTL_JOURNAL" // flowctl.journal.<flow>
	DLQStream     = "FLOWCTL_DLQ"     // flowctl.dlq.<flow>
	AuditStream   = "FLOWCTL_AUDIT"   // flowctl.audit.<action>
	IdemBucket    = "flowctl_idem"
	CursorBucket  = "flowctl_cursors"
	PlanBucket    = "flowctl_plans"
	RequeueBucket = "flowctl_requeues"

	journalPrefix = "flowctl.journal."
	dlqPrefix     = "flowctl.dlq."
	auditPrefix   = "flowctl.audit."
)

// Options configure Open.
type Options struct {
	// URL of an external NATS server or cluster; "" starts one embedded in
	// the process with its data in DataDir.
	URL string
	// DataDir holds the embedded server's data (and its lock file).
	DataDir string
	// ListenAddr is where the embedded server listens (token-protected;
	// the token is in DataDir/nats.json, readable by its owner only), so
	// flowctl dlq and replay reach a running serve; default 127.0.0.1 on a
	// free port.
	ListenAddr string
	// MaxStore caps the embedded server's disk use in bytes (0: the
	// server's default, a share of the free disk).
	MaxStore int64
	// SyncAlways makes the embedded server fsync every write (survives a
	// power loss, slower); by default writes reach the OS at once and are
	// fsynced every two minutes, which survives a crashed or killed process.
	SyncAlways bool
	// Replicas of each stream and bucket on a cluster (default 1).
	Replicas int
	// JournalMaxAge is how long journal records are kept (default 7 days);
	// JournalMaxBytes caps the journal's size (default unlimited). The
	// journal is also the work queue: records not yet processed are
	// dropped by these limits too, so size them generously.
	JournalMaxAge   time.Duration
	JournalMaxBytes int64
	// DedupeWindow is how long a message id is remembered to drop a
	// repeated journal write (default 10 minutes).
	DedupeWindow time.Duration
	// PublishTimeout is how long an asynchronous write (a journal append,
	// an idempotency record) waits for the server's answer before it
	// fails (default 30s): an answer lost in a cluster's leader change
	// must not leave the write pending forever.
	PublishTimeout time.Duration
	// Configure brings existing streams and buckets to these options
	// (serve); otherwise they are used as they are and only missing ones
	// are created (dlq, replay).
	Configure bool
	// Logger receives connection events.
	Logger *slog.Logger
	// Name identifies this process to the NATS server.
	Name string
}

// Store is an open durable layer.
type Store struct {
	NC      *nats.Conn
	JS      jetstream.JetStream
	Journal jetstream.Stream
	DLQ     jetstream.Stream
	Audit   jetstream.Stream
	Idem    jetstream.KeyValue
	Cursors jetstream.KeyValue
	Plans   jetstream.KeyValue
	// Requeues counts, per journal record, the redeliveries serve asked for
	// itself (target down), so they are not mistaken for crash loops.
	Requeues jetstream.KeyValue

	// idemJS publishes idempotency records asynchronously, with its own
	// window of pending publishes (the journal intake's cannot starve it).
	idemJS jetstream.JetStream

	srv      *server.Server
	attached bool
	lock     *os.File
	log      *slog.Logger
	opts     Options
}

// Open connects to (or starts) the NATS server and makes sure every stream
// and bucket exists. An unreachable external server is retried with
// backoff until ctx ends; every failure is logged with its reason.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	if opts.JournalMaxAge <= 0 {
		opts.JournalMaxAge = 7 * 24 * time.Hour
	}
	if opts.DedupeWindow <= 0 {
		opts.DedupeWindow = 10 * time.Minute
	}
	if opts.Name == "" {
		opts.Name = "flowctl"
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = 30 * time.Second
	}
	s := &Store{log: opts.Logger, opts: opts}
	var err error
	if opts.URL == "" {
		err = s.startEmbedded(ctx)
	} else {
		err = s.dialExternal(ctx)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	if s.JS, err = jetstream.New(s.NC, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(opts.PublishTimeout)); err != nil {
		s.Close()
		return nil, err
	}
	if s.idemJS, err = jetstream.New(s.NC, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(opts.PublishTimeout)); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.ensure(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// attachFile is where an embedded server's address and token are kept, so
// other flowctl commands (dlq, replay) on the same data directory reach
// the running server instead of failing on its lock.
const attachFile = "nats.json"

type attachInfo struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

func (s *Store) startEmbedded(ctx context.Context) error {
	dir := s.dataDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	// One server per data directory: two embedded servers on the same
	// files would corrupt them.
	lf, err := os.OpenFile(filepath.Join(dir, "flowctl.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return s.attach(ctx, dir)
	}
	s.lock = lf
	tok := make([]byte, 24)
	if _, err := crand.Read(tok); err != nil {
		return err
	}
	token := hex.EncodeToString(tok)
	so := &server.Options{
		ServerName:    s.opts.Name,
		JetStream:     true,
		StoreDir:      filepath.Join(dir, "jetstream"),
		NoSigs:        true,
		NoLog:         true,
		Host:          "127.0.0.1",
		Port:          server.RANDOM_PORT,
		Authorization: token,
		MaxPayload:    8 << 20,
	}
	if s.opts.MaxStore > 0 {
		so.JetStreamMaxStore = s.opts.MaxStore
	}
	if s.opts.SyncAlways {
		so.SyncAlways = true
	}
	if s.opts.ListenAddr != "" {
		host, port, err := splitHostPort(s.opts.ListenAddr)
		if err != nil {
			return fmt.Errorf("--nats-listen %q: %w", s.opts.ListenAddr, err)
		}
		so.Host, so.Port = host, port
	}
	srv, err := server.NewServer(so)
	if err != nil {
		return fmt.Errorf("starting the embedded NATS server: %w", err)
	}
	s.srv = srv
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		return errors.New("the embedded NATS server did not start within 30s")
	}
	info, _ := json.Marshal(attachInfo{URL: srv.ClientURL(), Token: token})
	if err := os.WriteFile(filepath.Join(dir, attachFile), info, 0o600); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Token(token), nats.Name(s.opts.Name), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connecting to the embedded NATS server: %w", err)
	}
	s.NC = nc
	return nil
}

// attach connects to the server another flowctl process runs on dir.
func (s *Store) attach(ctx context.Context, dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, attachFile))
	var ai attachInfo
	if err == nil {
		err = json.Unmarshal(data, &ai)
	}
	if err != nil || ai.URL == "" {
		return fmt.Errorf("data directory %s is in use by another flowctl process that cannot be reached (%v)", dir, err)
	}
	nc, err := nats.Connect(ai.URL, nats.Token(ai.Token), nats.Name(s.opts.Name), nats.Timeout(5*time.Second))
	if err != nil {
		return fmt.Errorf("data directory %s is in use by another flowctl process; reaching its NATS server: %w", dir, err)
	}
	s.NC, s.attached = nc, true
	return nil
}

func (s *Store) dialExternal(ctx context.Context) error {
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		nc, err := nats.Connect(s.opts.URL, nats.Name(s.opts.Name), nats.MaxReconnects(-1),
			nats.ReconnectWait(time.Second), nats.Timeout(5*time.Second),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					s.log.Warn("disconnected from NATS; writes wait for the reconnection", "url", redactURL(s.opts.URL), "error", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				s.log.Info("reconnected to NATS", "url", redactURL(nc.ConnectedUrl()))
			}))
		if err == nil {
			s.NC = nc
			return nil
		}
		s.log.Error("cannot reach NATS; retrying", "url", redactURL(s.opts.URL), "attempt", attempt, "retry_in", wait.String(), "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cannot reach NATS at %s: %w", redactURL(s.opts.URL), err)
		case <-t.C:
		}
		wait = min(wait*2, 30*time.Second)
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
	}
}

// ensure creates or updates every stream and bucket.
func (s *Store) ensure(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var err error
	streams := []struct {
		dst *jetstream.Stream
		cfg jetstream.StreamConfig
	}{
		{&s.Journal, jetstream.StreamConfig{Name: JournalStream, Subjects: []string{journalPrefix + ">"},
			Description: "every inbound message, journaled before its source lets go of it; also the work queue",
			MaxAge:      s.opts.JournalMaxAge, MaxBytes: orUnlimited(s.opts.JournalMaxBytes), Duplicates: s.opts.DedupeWindow}},
		{&s.DLQ, jetstream.StreamConfig{Name: DLQStream, Subjects: []string{dlqPrefix + ">"},
			Description: "messages that could not be processed, with the reason and the attempt history"}},
		{&s.Audit, jetstream.StreamConfig{Name: AuditStream, Subjects: []string{auditPrefix + ">"},
			Description: "who replayed, retried or dropped what, when and why"}},
	}
	for _, st := range streams {
		cfg := st.cfg
		cfg.Storage = jetstream.FileStorage
		cfg.Replicas = s.opts.Replicas
		cfg.AllowDirect = true
		if *st.dst, err = s.stream(ctx, cfg); err != nil {
			return fmt.Errorf("stream %s: %w", cfg.Name, err)
		}
	}
	buckets := []struct {
		dst *jetstream.KeyValue
		cfg jetstream.KeyValueConfig
	}{
		{&s.Idem, jetstream.KeyValueConfig{Bucket: IdemBucket, Description: "idempotency key -> write result", History: 1}},
		{&s.Cursors, jetstream.KeyValueConfig{Bucket: CursorBucket, Description: "source positions", History: 5}},
		{&s.Plans, jetstream.KeyValueConfig{Bucket: PlanBucket, Description: "flow versions by plan hash", History: 1}},
		{&s.Requeues, jetstream.KeyValueConfig{Bucket: RequeueBucket, Description: "requeues per journal record", History: 1, TTL: s.opts.JournalMaxAge}},
	}
	for _, b := range buckets {
		cfg := b.cfg
		cfg.Storage = jetstream.FileStorage
		cfg.Replicas = s.opts.Replicas
		if *b.dst, err = s.bucket(ctx, cfg); err != nil {
			return fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
		}
	}
	return nil
}

// stream creates a stream, or with Configure brings an existing one to
// cfg; without it an existing stream is used as it is (dlq and replay must
// not, say, reset the replicas serve set on a cluster).
func (s *Store) stream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	if s.opts.Configure {
		return s.JS.CreateOrUpdateStream(ctx, cfg)
	}
	st, err := s.JS.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return s.JS.CreateStream(ctx, cfg)
	}
	return st, err
}

// bucket is stream's counterpart for key-value buckets.
func (s *Store) bucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if s.opts.Configure {
		return s.JS.CreateOrUpdateKeyValue(ctx, cfg)
	}
	kv, err := s.JS.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return s.JS.CreateKeyValue(ctx, cfg)
	}
	return kv, err
}

func orUnlimited(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

func (s *Store) dataDir() string {
	if s.opts.DataDir == "" {
		return ".flowctl"
	}
	return s.opts.DataDir
}

// Embedded reports whether the NATS server runs in this process.
func (s *Store) Embedded() bool { return s.srv != nil }

// Attached reports whether this store reached the embedded server of
// another flowctl process on the same data directory.
func (s *Store) Attached() bool { return s.attached }

// Close flushes and closes the connection, then stops an embedded server
// (which writes its state to disk).
func (s *Store) Close() error {
	if s.NC != nil {
		s.NC.Flush()
		s.NC.Close()
	}
	if s.srv != nil {
		os.Remove(filepath.Join(s.dataDir(), attachFile))
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
	if s.lock != nil {
		s.lock.Close()
	}
	return nil
}
