package sftp

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/folderpoll"
)

// ChecksumFile is the name, in the archive directory, of the record of
// processed files' SHA-256 checksums.
const ChecksumFile = ".flowctl.sha256"

// maxSettle bounds the wait between the two listings of a one-shot run.
const maxSettle = 2 * time.Second

// pollOptions reads a source block. archive_dir and error_dir are relative
// to dir unless absolute.
func pollOptions(v *engine.Values, cfg Config) folderpoll.Options {
	dir := v.String("dir")
	rel := func(p, def string) string {
		if p == "" {
			p = def
		}
		if path.IsAbs(p) {
			return path.Clean(p)
		}
		return path.Join(dir, p)
	}
	o := folderpoll.Options{
		Dir:        dir,
		Glob:       v.String("glob"),
		ArchiveDir: rel(v.String("archive_dir"), "archive"),
		ErrorDir:   rel(v.String("error_dir"), "error"),
		Format:     v.String("format"),
		Every:      v.Duration("every"),
	}
	if v.String("stable") == "marker" {
		o.Stable = folderpoll.StableMarker
	}
	o.Settle = min(maxSettle, o.Every)
	o.ChecksumFile = path.Join(o.ArchiveDir, ChecksumFile)
	return o
}

func openSource(sp *engine.SourcePlan, rc *engine.RunContext) (engine.RecordReader, error) {
	return open(context.Background(), sp, false, rc != nil && rc.DryRun, nil)
}

// OpenWatch starts the source in watch mode: it polls every `every` until
// ctx is done. It is the entry point for a long-running serve.
func OpenWatch(ctx context.Context, sp *engine.SourcePlan) (engine.RecordReader, error) {
	return open(ctx, sp, true, false, nil)
}

// watch is the source's SourceSpec.Watch: folderpoll's watch mode over the
// connection. Message ids are the file's checksum and line; a Nack leaves
// the file in the directory for a later poll.
func watch(ctx context.Context, sp *engine.SourcePlan, wc *engine.WatchContext) (engine.RecordReader, error) {
	var log *slog.Logger
	if wc != nil {
		log = wc.Logger
	}
	return open(ctx, sp, true, false, log)
}

func open(ctx context.Context, sp *engine.SourcePlan, watch, readOnly bool, log *slog.Logger) (engine.RecordReader, error) {
	if sp.Connection == nil {
		return nil, fmt.Errorf("sftp source: no connection")
	}
	cfg := ConfigFrom(sp.Connection.Values)
	s := &session{cfg: cfg}
	// Connect now: a wrong host key or login fails the run at once.
	if _, err := s.client(ctx); err != nil {
		return nil, err
	}
	opts := pollOptions(sp.Values, cfg)
	opts.ReadOnly = readOnly
	opts.Logger = log
	p, err := folderpoll.New(&remoteFS{s: s}, opts)
	if err != nil {
		s.Close()
		return nil, err
	}
	r := p.Once(ctx)
	if watch {
		r = p.Watch(ctx)
	}
	return &sessionReader{RecordReader: r, s: s}, nil
}

// sessionReader closes the connection with the reader.
type sessionReader struct {
	engine.RecordReader
	s *session
}

func (r *sessionReader) Close() error {
	err := r.RecordReader.Close()
	if cerr := r.s.Close(); err == nil {
		err = cerr
	}
	return err
}
