package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/folderpoll"
)

// ChecksumFile is the name, in the archive directory, of the record of
// processed files' SHA-256 checksums.
const ChecksumFile = ".flowctl.sha256"

// maxSettle bounds the wait of a one-shot run for files written moments ago.
const maxSettle = 2 * time.Second

// folderOptions says whether a source is a watched folder, and how: its
// path is a directory, or a glob in a directory (inbox/*.csv), and
// archive_dir or error_dir is set. A plain file, a glob without them, or
// stdin keep the simple behaviour (read, nothing moved). archive_dir and
// error_dir are relative to the working directory, like path; the one not
// set defaults to archive/ or error/ inside the watched directory.
func folderOptions(v *engine.Values) (folderpoll.Options, bool) {
	p := v.String("path")
	if p == "-" || (!v.Has("archive_dir") && !v.Has("error_dir")) {
		return folderpoll.Options{}, false
	}
	dir, glob := p, "*"
	if info, err := os.Stat(p); err != nil || !info.IsDir() {
		dir, glob = filepath.Dir(p), filepath.Base(p)
		if !strings.ContainsAny(glob, "*?[") || strings.ContainsAny(dir, "*?[") {
			return folderpoll.Options{}, false
		}
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return folderpoll.Options{}, false
		}
	}
	o := folderpoll.Options{
		Dir:          dir,
		Glob:         glob,
		ArchiveDir:   v.String("archive_dir"),
		ErrorDir:     v.String("error_dir"),
		Format:       v.String("format"),
		Every:        v.Duration("every"),
		TrustModTime: true,
	}
	if o.ArchiveDir == "" {
		o.ArchiveDir = filepath.Join(dir, "archive")
	}
	if o.ErrorDir == "" {
		o.ErrorDir = filepath.Join(dir, "error")
	}
	if d := v.String("delimiter"); d != "" {
		o.Delimiter = []rune(d)[0]
	}
	o.Settle = maxSettle
	if o.Every > 0 {
		o.Settle = min(maxSettle, o.Every)
	}
	o.ChecksumFile = filepath.Join(o.ArchiveDir, ChecksumFile)
	return o, true
}

// OpenWatch starts a folder source in watch mode: it polls every `every`
// (default one minute) until ctx is done. It is the entry point for a
// long-running serve; the source must be a folder (see folderOptions).
func OpenWatch(ctx context.Context, sp *engine.SourcePlan) (engine.RecordReader, error) {
	return watch(ctx, sp, nil)
}

// watch is the source's SourceSpec.Watch: folderpoll's watch mode. Message
// ids are the file's checksum and line; a Nack leaves the file in the
// directory for a later poll.
func watch(ctx context.Context, sp *engine.SourcePlan, wc *engine.WatchContext) (engine.RecordReader, error) {
	opts, ok := folderOptions(sp.Values)
	if !ok {
		return nil, fmt.Errorf("file source %q: watching needs a directory (or a glob in one) and archive_dir or error_dir", sp.Values.String("path"))
	}
	if wc != nil {
		opts.Logger = wc.Logger
	}
	p, err := folderpoll.New(folderpoll.OS{}, opts)
	if err != nil {
		return nil, err
	}
	return p.Watch(ctx), nil
}
