package folderpoll

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/codec"
)

// reader turns the stable files of a directory into messages, file after
// file. Next is called from one goroutine; receipts are settled from any.
type reader struct {
	p     *Poller
	ctx   context.Context
	watch bool

	started bool
	polled  bool // watch: the first poll is done
	queue   []FileInfo
	prev    map[string]FileInfo // watch: the last listing
	cur     *file
	recs    records
	peek    codec.Record // the record after the last one returned
	peeked  bool
	// deferred is an error met while looking ahead, returned by the next
	// call.
	deferred error
	errs     []error // one-shot: files that could not be fetched or moved
	closed   bool
}

// records is the record source of one file.
type records interface {
	next() (codec.Record, bool, error)
	close() error
}

func (r *reader) Next() (*engine.Message, bool, error) {
	if err := r.deferred; err != nil {
		r.deferred = nil
		return nil, false, err
	}
	for {
		if r.cur != nil {
			rec, ok, err := r.peek, r.peeked, error(nil)
			if !r.peeked {
				rec, ok, err = r.recs.next()
			}
			r.peeked = false
			if err == nil && ok {
				// Look one record ahead, so the file's end is known as
				// soon as its last message is out: the file can move
				// once that message is settled, without another Next.
				m := r.cur.message(rec)
				r.peek, r.peeked, err = r.recs.next()
				if err != nil || !r.peeked {
					f := r.cur
					r.peeked = false
					r.endFile(err)
					r.deferred = f.endRead()
				}
				return m, true, nil
			}
			f := r.cur
			r.endFile(err)
			if ferr := f.endRead(); ferr != nil {
				return nil, false, ferr
			}
			continue
		}
		fi, ok, err := r.nextFile()
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, false, errors.Join(r.errs...)
		}
		if err := r.take(fi); err != nil {
			if !r.watch {
				r.errs = append(r.errs, err)
			}
			r.p.log.Warn("file not processed", "file", path.Join(r.p.opts.Dir, fi.Name), "error", err)
		}
	}
}

// endFile stops reading the current file; a fatal error is kept as the
// reason the file failed.
func (r *reader) endFile(err error) {
	f := r.cur
	if cerr := r.recs.close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		f.mu.Lock()
		f.fatal = err.Error()
		f.mu.Unlock()
	}
	f.dropStaging()
	r.cur, r.recs = nil, nil
}

// nextFile returns the next stable file; ok is false at the end (one-shot:
// the files of the single poll are done; watch: ctx is done).
func (r *reader) nextFile() (FileInfo, bool, error) {
	if !r.started {
		r.started = true
		if err := r.p.loadSums(); err != nil {
			return FileInfo{}, false, err
		}
		if !r.watch {
			files, err := r.p.stableOnce(r.ctx)
			if err != nil {
				return FileInfo{}, false, err
			}
			r.queue = files
		}
	}
	for len(r.queue) == 0 {
		if !r.watch || r.ctx.Err() != nil {
			return FileInfo{}, false, nil
		}
		if r.polled && engine.Sleep(r.ctx, r.p.opts.Every) != nil {
			return FileInfo{}, false, nil
		}
		r.polled = true
		files, prev, err := r.p.stableWatch(r.prev)
		if err != nil {
			r.p.log.Warn("poll failed", "dir", r.p.opts.Dir, "error", err)
			continue
		}
		r.prev, r.queue = prev, files
	}
	fi := r.queue[0]
	r.queue = r.queue[1:]
	return fi, true, nil
}

// take fetches a file and starts reading it; a file already processed is
// archived at once.
func (r *reader) take(fi FileInfo) error {
	p := r.p
	f := &file{p: p, info: fi, path: path.Join(p.opts.Dir, fi.Name), keepOnNack: r.watch}
	if p.opts.Stable == StableMarker {
		f.marker = r.markerOf(fi.Name)
	}
	p.mu.Lock()
	if p.inflight[fi.Name] != nil {
		p.mu.Unlock()
		return nil
	}
	p.inflight[fi.Name] = f
	p.mu.Unlock()
	if err := f.fetch(); err != nil {
		f.release()
		if errors.Is(err, fs.ErrNotExist) {
			p.log.Info("file vanished before it was read", "file", f.path)
			return nil
		}
		return err
	}
	if p.Processed(f.sum) {
		p.log.Info("already processed (same SHA-256); archived without processing", "file", f.path, "sha256", f.sum)
		f.mu.Lock()
		f.readDone, f.duplicate = true, true
		f.mu.Unlock()
		f.dropStaging()
		return f.finish()
	}
	if p.sumInFlight(f) {
		// The same content is being processed under another name: wait
		// until it is archived, then this one is a known duplicate.
		p.log.Info("same content as a file in progress; left for the next poll", "file", f.path)
		f.dropStaging()
		f.release()
		return nil
	}
	recs, err := f.records()
	if err != nil {
		// The file cannot be read as its format: it fails as a whole.
		f.mu.Lock()
		f.fatal = err.Error()
		f.mu.Unlock()
		f.dropStaging()
		return f.endRead()
	}
	r.cur, r.recs = f, recs
	return nil
}

// markerOf finds the done-marker of a file, to move it along with the file.
func (r *reader) markerOf(name string) string {
	for _, m := range r.p.opts.Markers {
		mp := path.Join(r.p.opts.Dir, name+m)
		if _, err := r.p.fs.Stat(mp); err == nil {
			return mp
		}
	}
	return ""
}

func (p *Poller) sumInFlight(f *file) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.inflight {
		if o != f && o.sum == f.sum {
			return true
		}
	}
	return false
}

// Close stops reading. Files whose messages are not all settled are left
// where they are (the next poll takes them again); staging copies are
// removed.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.cur != nil {
		r.recs.close()
		r.cur.dropStaging()
		r.cur, r.recs = nil, nil
	}
	r.p.mu.Lock()
	var open []*file
	for _, f := range r.p.inflight {
		open = append(open, f)
	}
	r.p.mu.Unlock()
	for _, f := range open {
		f.abandon()
	}
	return nil
}

// file is one taken file and the fate of its messages.
type file struct {
	p      *Poller
	info   FileInfo
	path   string
	marker string // its done-marker, moved along with it

	sum     string
	size    int64
	local   string // where to read it from (staging copy or the file itself)
	staging bool
	// keepOnNack (watch mode): a refused message means "not kept now"
	// (serve could not journal it), so the file stays in the watched
	// directory, to be taken again by a later poll, instead of going to
	// the error directory.
	keepOnNack bool

	mu        sync.Mutex
	emitted   int
	acked     int
	nacks     []string
	nackN     int
	decode    []string
	decodeN   int
	fatal     string
	readDone  bool
	duplicate bool
	final     bool
}

const maxReasons = 20

// fetch reads the file once through SHA-256: in place when the FS is
// local, into a staging copy otherwise.
func (f *file) fetch() error {
	h := sha256.New()
	if lfs, ok := f.p.fs.(LocalFS); ok {
		f.local = lfs.LocalPath(f.path)
		in, err := os.Open(f.local)
		if err != nil {
			return fmt.Errorf("opening %s: %w", f.path, err)
		}
		defer in.Close()
		n, err := io.Copy(h, in)
		if err != nil {
			return fmt.Errorf("reading %s: %w", f.path, err)
		}
		f.size, f.sum = n, hex.EncodeToString(h.Sum(nil))
		return nil
	}
	in, err := f.p.fs.Open(f.path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", f.path, err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(f.p.opts.TempDir, "flowctl-fetch-*")
	if err != nil {
		return fmt.Errorf("staging %s: %w", f.path, err)
	}
	f.local, f.staging = tmp.Name(), true
	n, err := io.Copy(io.MultiWriter(tmp, h), in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		f.dropStaging()
		return fmt.Errorf("downloading %s: %w", f.path, err)
	}
	f.size, f.sum = n, hex.EncodeToString(h.Sum(nil))
	return nil
}

func (f *file) dropStaging() {
	if f.staging && f.local != "" {
		os.Remove(f.local) // our own copy, not the file of the directory
		f.local = ""
	}
}

// records opens the file's record source by format.
func (f *file) records() (records, error) {
	format := f.p.opts.Format
	if format == "auto" {
		format = codec.DetectFormat(f.info.Name)
		if format == "" {
			return nil, fmt.Errorf("cannot tell the format of %s from its name; set format", f.info.Name)
		}
	}
	in, err := os.Open(f.local)
	if err != nil {
		return nil, err
	}
	if format == codec.FormatEDI {
		defer in.Close()
		data, err := io.ReadAll(io.LimitReader(in, f.p.opts.MaxRawBytes+1))
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > f.p.opts.MaxRawBytes {
			return nil, fmt.Errorf("%s is larger than %d bytes", f.info.Name, f.p.opts.MaxRawBytes)
		}
		return &rawRecords{rec: codec.Record{Line: 1, Data: map[string]any{
			"content": string(data), "file": f.info.Name, "size": len(data), "sha256": f.sum,
		}}}, nil
	}
	var opts codec.ReaderOptions
	opts.Delimiter = f.p.opts.Delimiter
	cr, err := codec.NewReader(bufio.NewReaderSize(in, 256<<10), format, opts)
	if err != nil {
		in.Close()
		return nil, err
	}
	return &codecRecords{r: cr, c: in}, nil
}

type codecRecords struct {
	r codec.Reader
	c io.Closer
}

func (c *codecRecords) next() (codec.Record, bool, error) { return c.r.Next() }
func (c *codecRecords) close() error                      { return c.c.Close() }

type rawRecords struct {
	rec  codec.Record
	done bool
}

func (r *rawRecords) next() (codec.Record, bool, error) {
	if r.done {
		return codec.Record{}, false, nil
	}
	r.done = true
	return r.rec, true, nil
}
func (r *rawRecords) close() error { return nil }

// message wraps a record with a receipt of this file.
func (f *file) message(rec codec.Record) *engine.Message {
	f.mu.Lock()
	f.emitted++
	if rec.Err != nil {
		f.decodeN++
		if len(f.decode) < maxReasons {
			f.decode = append(f.decode, rec.Err.Error())
		}
	}
	f.mu.Unlock()
	return &engine.Message{Line: rec.Line, Source: f.p.opts.Describe(f.path), Record: rec.Data, Err: rec.Err, Raw: rec.Raw,
		ID: MessageID(f.sum, rec.Line), Receipt: &receipt{f: f, line: rec.Line}}
}

// MessageID is the stable identity of the record at line of a file whose
// SHA-256 is sum (hex): the first 16 hex digits of the checksum, a colon,
// the line. The same file read again (after a restart, or under another
// name) gives its records the same ids.
func MessageID(sum string, line int) string {
	if len(sum) > 16 {
		sum = sum[:16]
	}
	return sum + ":" + strconv.Itoa(line)
}

// receipt is a message's handle on its file: the file moves when the last
// one is settled.
type receipt struct {
	f    *file
	line int
	done atomic.Bool
}

func (r *receipt) Ack(context.Context) error {
	if r.done.Swap(true) {
		return nil
	}
	return r.f.settle("")
}

func (r *receipt) Nack(_ context.Context, reason error) error {
	if r.done.Swap(true) {
		return nil
	}
	why := "refused"
	if reason != nil {
		why = reason.Error()
	}
	if r.line > 0 {
		why = fmt.Sprintf("line %d: %s", r.line, why)
	}
	return r.f.settle(why)
}

func (f *file) settle(nack string) error {
	f.mu.Lock()
	f.acked++
	if nack != "" {
		f.nackN++
		if len(f.nacks) < maxReasons {
			f.nacks = append(f.nacks, nack)
		}
	}
	f.mu.Unlock()
	return f.finish()
}

// endRead marks the end of the file's messages.
func (f *file) endRead() error {
	f.mu.Lock()
	f.readDone = true
	f.mu.Unlock()
	return f.finish()
}

// abandon gives up on a file whose messages are not all settled: it stays
// in the watched directory.
func (f *file) abandon() {
	f.mu.Lock()
	wasFinal := f.final
	f.final = true
	f.mu.Unlock()
	if !wasFinal {
		f.release()
	}
}

func (f *file) release() {
	f.p.mu.Lock()
	if f.p.inflight[f.info.Name] == f {
		delete(f.p.inflight, f.info.Name)
	}
	f.p.mu.Unlock()
}

// finish moves the file once every message is settled and reading is done.
func (f *file) finish() error {
	f.mu.Lock()
	if f.final || !f.readDone || f.acked < f.emitted {
		f.mu.Unlock()
		return nil
	}
	f.final = true
	if f.keepOnNack && f.nackN > 0 {
		n := f.nackN
		f.mu.Unlock()
		f.release()
		f.p.log.Warn("messages refused; file left in place for the next poll", "file", f.path, "refused", n)
		return nil
	}
	failed := f.fatal != "" || f.decodeN > 0 || f.nackN > 0
	reason := ""
	if failed {
		reason = f.reasonText()
	}
	f.mu.Unlock()
	defer f.release()
	if f.p.opts.ReadOnly {
		f.p.log.Info("read only: file left in place", "file", f.path, "failed", failed)
		return nil
	}
	// One move at a time, so two files never pick the same free name.
	f.p.moveMu.Lock()
	defer f.p.moveMu.Unlock()
	if failed {
		return f.moveToError(reason)
	}
	return f.archive()
}

func (f *file) archive() error {
	p := f.p
	if err := p.mkdir(p.opts.ArchiveDir); err != nil {
		return err
	}
	dst, err := p.freeName(p.opts.ArchiveDir, f.info.Name, f.sum)
	if err != nil {
		return err
	}
	if p.opts.ChecksumFile != "" && !f.duplicate {
		line := f.sum + "  " + path.Base(dst) + "\n"
		if err := p.fs.AppendFile(p.opts.ChecksumFile, []byte(line)); err != nil {
			return fmt.Errorf("recording the checksum of %s: %w", f.path, err)
		}
	}
	p.mu.Lock()
	p.sums[f.sum] = true
	p.mu.Unlock()
	if err := p.fs.Rename(f.path, dst); err != nil {
		return fmt.Errorf("archiving %s: %w", f.path, err)
	}
	p.log.Info("archived", "file", f.path, "to", dst, "sha256", f.sum)
	return f.moveMarker(dst)
}

func (f *file) moveToError(reason string) error {
	p := f.p
	if err := p.mkdir(p.opts.ErrorDir); err != nil {
		return err
	}
	dst, err := p.freeName(p.opts.ErrorDir, f.info.Name, f.sum)
	if err != nil {
		return err
	}
	// The reason first: should the move fail, the file is still in place
	// and is tried again.
	if err := p.fs.WriteFile(dst+".reason", []byte(reason)); err != nil {
		return fmt.Errorf("writing %s.reason: %w", dst, err)
	}
	if err := p.fs.Rename(f.path, dst); err != nil {
		return fmt.Errorf("moving %s to %s: %w", f.path, p.opts.ErrorDir, err)
	}
	p.log.Warn("moved to the error directory", "file", f.path, "to", dst)
	return f.moveMarker(dst)
}

func (f *file) moveMarker(dst string) error {
	if f.marker == "" {
		return nil
	}
	ext := strings.TrimPrefix(f.marker, f.path)
	if err := f.p.fs.Rename(f.marker, dst+ext); err != nil {
		return fmt.Errorf("moving the marker %s: %w", f.marker, err)
	}
	return nil
}

// reasonText says why a file failed; f.mu is held.
func (f *file) reasonText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "file: %s\nsize: %d\nsha256: %s\nfailed: %s\n", f.path, f.size, f.sum, f.p.opts.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "messages: %d read, %d settled\n", f.emitted, f.acked)
	if f.fatal != "" {
		fmt.Fprintf(&b, "reason: the file could not be read to the end: %s\n", f.fatal)
		if f.emitted > 0 {
			fmt.Fprintf(&b, "  the %d records before the failure were processed\n", f.emitted)
		}
	}
	if f.decodeN > 0 {
		fmt.Fprintf(&b, "reason: %d of %d records could not be decoded (they are in the rejects with their raw input; the others were processed)\n", f.decodeN, f.emitted)
		for _, d := range f.decode {
			fmt.Fprintf(&b, "  %s\n", d)
		}
		if f.decodeN > len(f.decode) {
			fmt.Fprintf(&b, "  ... and %d more\n", f.decodeN-len(f.decode))
		}
	}
	if f.nackN > 0 {
		fmt.Fprintf(&b, "reason: %d messages could not be processed\n", f.nackN)
		for _, n := range f.nacks {
			fmt.Fprintf(&b, "  %s\n", n)
		}
		if f.nackN > len(f.nacks) {
			fmt.Fprintf(&b, "  ... and %d more\n", f.nackN-len(f.nacks))
		}
	}
	b.WriteString("To process it again, move it back into the watched directory.\n")
	return b.String()
}
