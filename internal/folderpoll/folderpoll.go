// Package folderpoll holds the folder semantics shared by the file sources
// (local directories, SFTP): poll a directory for files matching a glob,
// take only stable files, hand their records to the engine, and move each
// file once the engine is done with it — to the archive directory when every
// one of its messages was acknowledged, to the error directory (with a
// <name>.reason file) when one was refused or the file could not be decoded.
//
// The lifecycle of a file:
//
//  1. listed: a regular file in Dir whose name matches Glob; names starting
//     with a dot, temporary upload names (*.part, *.filepart, *.tmp) and
//     done-markers (*.done, *.ok) are never taken;
//  2. stable: StableSize — its size and modification time did not change
//     between two listings (Settle apart in one-shot mode, one poll apart
//     when watching); StableMarker — a done-marker <name>.done or <name>.ok
//     exists;
//  3. fetched: read once through SHA-256 (a remote file is downloaded to a
//     local staging copy; a local one is hashed in place). A file whose
//     checksum is already known as processed is archived without being
//     processed again;
//  4. decoded: records by format (ndjson, json, csv through engine/codec;
//     "edi" is one message holding the raw content). Each message carries
//     an engine.Receipt of the file;
//  5. moved, once the last message's outcome is known: all acknowledged and
//     no decode error → ArchiveDir; any Nack or decode error → ErrorDir with
//     <name>.reason saying why. A file whose processing was cut short (the
//     run stopped) stays where it is and is taken again by the next poll.
//     When watching (serve), a Nack means the message could not be kept
//     now (not journaled), not that it failed: the file stays in Dir and a
//     later poll takes it again, whole; decode errors still send it to
//     ErrorDir once every message is acknowledged.
//
// Every message has an ID: the first 16 hex digits of its file's SHA-256,
// a colon and its line (see MessageID); reading the same file again gives
// the same ids, which serve uses to journal each record once.
//
// A file is taken by one reader at a time: while any of its messages is
// unsettled it is in flight and later polls pass it over.
// Nothing here deletes a file of the watched directory: the FS interface has
// no Remove. On a name collision in the archive or error directory the file
// gets a suffix: <stem>-<first 12 hex digits of its SHA-256><ext>, then a
// UTC timestamp, then a counter.
//
// Restarts: an archived file has left Dir, so it is not seen again. When
// ChecksumFile is set, the checksum of every archived file is appended to it
// (in sha256sum format) before the file is moved, and loaded at start: a file
// that appears again with the same content — resent by a partner, or left
// behind by a crash between the last acknowledgement and the move — is
// archived without being processed twice. A file moved to the error
// directory is not recorded, so moving it back into Dir processes it again.
package folderpoll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// FileInfo describes a directory entry.
type FileInfo struct {
	Name    string // base name
	Size    int64
	ModTime time.Time
	IsDir   bool
}

// FS is the file system a poller works on: a local directory or a remote
// server. Paths are slash-separated, as built by path.Join. It deliberately
// has no way to delete a file: a poller never deletes what it was given.
type FS interface {
	// List returns the regular files and directories of dir.
	List(dir string) ([]FileInfo, error)
	// Stat describes one file; a missing file is an error wrapping
	// fs.ErrNotExist.
	Stat(name string) (FileInfo, error)
	// Open opens a file for reading.
	Open(name string) (io.ReadCloser, error)
	// Rename moves a file. It should fail when newname exists (as SFTP v3
	// rename does); the poller picks a free name first in any case.
	Rename(oldname, newname string) error
	// WriteFile creates or replaces a small file (a .reason file).
	WriteFile(name string, data []byte) error
	// AppendFile appends to a file, creating it when missing.
	AppendFile(name string, data []byte) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(dir string) error
}

// LocalFS is implemented by an FS whose files are on the local disk: the
// poller then hashes and decodes them in place instead of downloading a
// staging copy first.
type LocalFS interface {
	LocalPath(name string) string
}

// Stability says when a listed file is complete.
type Stability int

// Stability modes.
const (
	// StableSize: size and modification time unchanged across two listings.
	StableSize Stability = iota
	// StableMarker: a done-marker file <name>.done or <name>.ok exists.
	StableMarker
)

// Options configure a Poller.
type Options struct {
	Dir        string // the watched directory
	Glob       string // pattern of the file names to take (path.Match); "" = "*"
	ArchiveDir string // where processed files go
	ErrorDir   string // where failed files go, each with a <name>.reason file

	// Format of the files: "auto" (by extension), "ndjson", "json", "csv"
	// or "edi" (one message per file with the raw content).
	Format    string
	Delimiter rune // CSV delimiter; 0 = ','

	Stable  Stability
	Markers []string // done-marker suffixes; nil = ".done", ".ok"

	// Every is the poll interval when watching; default one minute.
	Every time.Duration
	// Settle is the time between the two listings of a one-shot poll
	// (StableSize); default 2s.
	Settle time.Duration
	// TrustModTime takes a file whose modification time is at least Settle
	// (watching: Every) in the past as stable without waiting for a second
	// listing. Only for file systems that share the local clock.
	TrustModTime bool

	// ChecksumFile, when set, records the SHA-256 of every archived file
	// (sha256sum format) and is read at start: a file with a recorded
	// checksum is never processed twice.
	ChecksumFile string

	// ReadOnly reads and settles files but moves nothing and records no
	// checksum (dry runs): every file stays where it is.
	ReadOnly bool

	TempDir     string // staging copies of remote files; "" = os.TempDir()
	MaxRawBytes int64  // largest "edi" file; 0 = 256 MiB

	// Describe gives a file's Message.Source (meta.file); nil = its path.
	Describe func(path string) string
	Logger   *slog.Logger
	Now      func() time.Time
}

// DefaultMarkers are the done-marker suffixes.
var DefaultMarkers = []string{".done", ".ok"}

// tempSuffixes mark files still being uploaded; they are never taken.
var tempSuffixes = []string{".part", ".filepart", ".tmp"}

// Poller takes stable files of a directory and tracks them until they are
// archived or moved to the error directory. One poller per directory: two
// pollers on the same directory would take the same files.
type Poller struct {
	fs   FS
	opts Options
	log  *slog.Logger

	moveMu sync.Mutex // serializes archiving and moving to the error directory

	mu       sync.Mutex
	inflight map[string]*file // by name, taken and not yet moved
	sums     map[string]bool  // checksums of processed files
	loaded   bool
	made     map[string]bool // directories created
}

// New checks the options and returns a poller.
func New(fsys FS, opts Options) (*Poller, error) {
	if opts.Dir == "" {
		return nil, errors.New("folderpoll: no directory")
	}
	if opts.Glob == "" {
		opts.Glob = "*"
	}
	if _, err := path.Match(opts.Glob, ""); err != nil {
		return nil, fmt.Errorf("glob %q: %w", opts.Glob, err)
	}
	if opts.ArchiveDir == "" || opts.ErrorDir == "" {
		return nil, errors.New("folderpoll: an archive and an error directory are needed")
	}
	if opts.Markers == nil {
		opts.Markers = DefaultMarkers
	}
	if opts.Every <= 0 {
		opts.Every = time.Minute
	}
	if opts.Settle <= 0 {
		opts.Settle = 2 * time.Second
	}
	if opts.MaxRawBytes <= 0 {
		opts.MaxRawBytes = 256 << 20
	}
	if opts.Format == "" {
		opts.Format = "auto"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Describe == nil {
		opts.Describe = func(p string) string { return p }
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{fs: fsys, opts: opts, log: log, inflight: map[string]*file{}, sums: map[string]bool{}, made: map[string]bool{}}, nil
}

// Once returns a reader of the files that are stable now: the one-shot mode
// of `flowctl run`. With StableSize it lists the directory twice, Settle
// apart (files already older than Settle are taken at once when
// TrustModTime is set), and takes the files that did not change; a file
// still changing is left for the next run. Files are processed oldest
// first (by modification time, then name).
func (p *Poller) Once(ctx context.Context) engine.RecordReader {
	return &reader{p: p, ctx: ctx}
}

// Watch returns a reader that polls every Every until ctx is done, when
// Next reports the end. A file is taken once it was seen unchanged by two
// consecutive polls (or its marker exists).
func (p *Poller) Watch(ctx context.Context) engine.RecordReader {
	return &reader{p: p, ctx: ctx, watch: true, prev: map[string]FileInfo{}}
}

// listing is one look at the directory.
type listing struct {
	files   map[string]FileInfo // candidates, by name
	markers map[string]string   // file name → its marker's name
}

func (p *Poller) isMarker(name string) (string, bool) {
	for _, m := range p.opts.Markers {
		if strings.HasSuffix(name, m) && len(name) > len(m) {
			return strings.TrimSuffix(name, m), true
		}
	}
	return "", false
}

// list reads the directory: candidate files and markers.
func (p *Poller) list() (*listing, error) {
	entries, err := p.fs.List(p.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", p.opts.Dir, err)
	}
	l := &listing{files: map[string]FileInfo{}, markers: map[string]string{}}
	for _, e := range entries {
		if e.IsDir || e.Name == "" || e.Name[0] == '.' {
			continue
		}
		if base, ok := p.isMarker(e.Name); ok {
			l.markers[base] = e.Name
			continue
		}
		if hasSuffix(e.Name, tempSuffixes) {
			continue
		}
		if ok, _ := path.Match(p.opts.Glob, e.Name); !ok {
			continue
		}
		l.files[e.Name] = e
	}
	return l, nil
}

func hasSuffix(name string, sufs []string) bool {
	for _, s := range sufs {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func sameFile(a, b FileInfo) bool {
	return a.Size == b.Size && a.ModTime.Equal(b.ModTime)
}

// stableOnce picks the files of a one-shot poll.
func (p *Poller) stableOnce(ctx context.Context) ([]FileInfo, error) {
	l, err := p.list()
	if err != nil {
		return nil, err
	}
	var out []FileInfo
	if p.opts.Stable == StableMarker {
		for name, fi := range l.files {
			if _, ok := l.markers[name]; ok && !p.busy(name) {
				out = append(out, fi)
			}
		}
		return sortFiles(out), nil
	}
	now := p.opts.Now()
	waiting := map[string]FileInfo{}
	for name, fi := range l.files {
		if p.busy(name) {
			continue
		}
		if p.opts.TrustModTime && !fi.ModTime.After(now.Add(-p.opts.Settle)) {
			out = append(out, fi)
			continue
		}
		waiting[name] = fi
	}
	if len(waiting) > 0 {
		t := time.NewTimer(p.opts.Settle)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		l2, err := p.list()
		if err != nil {
			return nil, err
		}
		for name, fi := range waiting {
			if fi2, ok := l2.files[name]; ok && sameFile(fi, fi2) {
				out = append(out, fi2)
			} else if ok {
				p.log.Info("file still changing, left for the next poll", "file", path.Join(p.opts.Dir, name))
			}
		}
	}
	return sortFiles(out), nil
}

// stableWatch picks the files of one watch poll; prev is the last listing.
func (p *Poller) stableWatch(prev map[string]FileInfo) ([]FileInfo, map[string]FileInfo, error) {
	l, err := p.list()
	if err != nil {
		return nil, prev, err
	}
	now := p.opts.Now()
	var out []FileInfo
	for name, fi := range l.files {
		if p.busy(name) {
			continue
		}
		switch {
		case p.opts.Stable == StableMarker:
			if _, ok := l.markers[name]; ok {
				out = append(out, fi)
			}
		case p.opts.TrustModTime && !fi.ModTime.After(now.Add(-p.opts.Every)):
			out = append(out, fi)
		default:
			if old, ok := prev[name]; ok && sameFile(old, fi) {
				out = append(out, fi)
			}
		}
	}
	return sortFiles(out), l.files, nil
}

func sortFiles(fs []FileInfo) []FileInfo {
	sort.Slice(fs, func(i, j int) bool {
		if !fs[i].ModTime.Equal(fs[j].ModTime) {
			return fs[i].ModTime.Before(fs[j].ModTime)
		}
		return fs[i].Name < fs[j].Name
	})
	return fs
}

func (p *Poller) busy(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight[name] != nil
}

// loadSums reads the checksum file once.
func (p *Poller) loadSums() error {
	p.mu.Lock()
	loaded := p.loaded
	p.mu.Unlock()
	if loaded || p.opts.ChecksumFile == "" {
		return nil
	}
	rc, err := p.fs.Open(p.opts.ChecksumFile)
	if errors.Is(err, fs.ErrNotExist) {
		p.mu.Lock()
		p.loaded = true
		p.mu.Unlock()
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the checksum file %s: %w", p.opts.ChecksumFile, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("reading the checksum file %s: %w", p.opts.ChecksumFile, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && len(f[0]) == 64 {
			p.sums[strings.ToLower(f[0])] = true
		}
	}
	p.loaded = true
	return nil
}

// Processed reports whether a checksum (hex SHA-256) is known as processed.
func (p *Poller) Processed(sum string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sums[sum]
}

// mkdir creates a directory once per poller.
func (p *Poller) mkdir(dir string) error {
	p.mu.Lock()
	done := p.made[dir]
	p.mu.Unlock()
	if done {
		return nil
	}
	if err := p.fs.MkdirAll(dir); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	p.mu.Lock()
	p.made[dir] = true
	p.mu.Unlock()
	return nil
}

// freeName finds a name in dir for a file: its own, else with the
// checksum, then a timestamp, then a counter.
func (p *Poller) freeName(dir, name, sum string) (string, error) {
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	short := sum
	if len(short) > 12 {
		short = short[:12]
	}
	ts := p.opts.Now().UTC().Format("20060102T150405Z")
	cands := []string{name, stem + "-" + short + ext, stem + "-" + short + "-" + ts + ext}
	for i := 2; i < 1000; i++ {
		cands = append(cands, fmt.Sprintf("%s-%s-%s-%d%s", stem, short, ts, i, ext))
	}
	for _, c := range cands {
		_, err := p.fs.Stat(path.Join(dir, c))
		if errors.Is(err, fs.ErrNotExist) {
			return path.Join(dir, c), nil
		}
		if err != nil {
			return "", fmt.Errorf("checking %s: %w", path.Join(dir, c), err)
		}
	}
	return "", fmt.Errorf("no free name for %s in %s", name, dir)
}
