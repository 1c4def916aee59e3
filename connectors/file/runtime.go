package file

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/codec"
	"github.com/flowctl/flowctl/internal/folderpoll"
)

func fileOperation(v *engine.Values) string {
	if v.Bool("append") {
		return "append " + v.String("path")
	}
	return "write " + v.String("path")
}

func openSource(sp *engine.SourcePlan, rc *engine.RunContext) (engine.RecordReader, error) {
	v := sp.Values
	path := v.String("path")
	if path == "-" {
		return OpenInput("-", v.String("format"), v.String("delimiter"), rc)
	}
	if opts, ok := folderOptions(v); ok {
		opts.ReadOnly = rc != nil && rc.DryRun
		p, err := folderpoll.New(folderpoll.OS{}, opts)
		if err != nil {
			return nil, err
		}
		return p.Once(context.Background()), nil
	}
	files, err := expand(path)
	if err != nil {
		return nil, err
	}
	return &multiReader{files: files, format: v.String("format"), delim: v.String("delimiter"), rc: rc}, nil
}

// expand turns a file, glob or directory into a sorted list of files.
func expand(path string) ([]string, error) {
	if info, err := os.Stat(path); err == nil {
		if !info.IsDir() {
			return []string{path}, nil
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		var files []string
		for _, e := range entries {
			if !e.IsDir() && e.Name()[0] != '.' {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		return files, nil
	}
	files, err := filepath.Glob(path)
	if err != nil {
		return nil, fmt.Errorf("source path %q: %w", path, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("source path %q: no such file", path)
	}
	sort.Strings(files)
	return files, nil
}

// multiReader reads several files one after the other.
type multiReader struct {
	files  []string
	format string
	delim  string
	rc     *engine.RunContext
	cur    engine.RecordReader
}

func (m *multiReader) Next() (*engine.Message, bool, error) {
	for {
		if m.cur == nil {
			if len(m.files) == 0 {
				return nil, false, nil
			}
			r, err := OpenInput(m.files[0], m.format, m.delim, m.rc)
			if err != nil {
				return nil, false, err
			}
			m.cur, m.files = r, m.files[1:]
		}
		msg, ok, err := m.cur.Next()
		if err != nil || ok {
			return msg, ok, err
		}
		m.cur.Close()
		m.cur = nil
	}
}

func (m *multiReader) Close() error {
	if m.cur != nil {
		return m.cur.Close()
	}
	return nil
}

// OpenInput reads records from a file ("-" is standard input). format ""
// or "auto" picks the codec by file extension (stdin defaults to NDJSON).
func OpenInput(path, format, delimiter string, rc *engine.RunContext) (engine.RecordReader, error) {
	if format == "" || format == "auto" {
		format = codec.DetectFormat(path)
		if format == "" && path == "-" {
			format = "ndjson"
		}
		if format == "" {
			return nil, fmt.Errorf("%s: cannot tell the format from the name; set format", path)
		}
	}
	if format == "edi" {
		return nil, fmt.Errorf("%s: EDI input needs the EDI steps, which are not available yet", path)
	}
	var r io.Reader
	var closer io.Closer
	if path == "-" {
		if rc == nil || rc.Stdin == nil {
			return nil, fmt.Errorf("no standard input")
		}
		r = rc.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r, closer = f, f
	}
	var opts codec.ReaderOptions
	if delimiter != "" {
		opts.Delimiter = []rune(delimiter)[0]
	}
	cr, err := codec.NewReader(bufio.NewReaderSize(r, 256<<10), format, opts)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &inputReader{r: cr, name: path, closer: closer}, nil
}

type inputReader struct {
	r      codec.Reader
	name   string
	closer io.Closer
}

func (ir *inputReader) Next() (*engine.Message, bool, error) {
	rec, ok, err := ir.r.Next()
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", ir.name, err)
	}
	if !ok {
		return nil, false, nil
	}
	return &engine.Message{Line: rec.Line, Source: ir.name, Record: rec.Data, Err: rec.Err, Raw: rec.Raw}, true, nil
}

func (ir *inputReader) Close() error {
	if ir.closer != nil {
		return ir.closer.Close()
	}
	return nil
}

// fileTarget writes bodies to a file through a codec. Writes come from the
// run's single sink goroutine; the mutex keeps it safe for any other use.
type fileTarget struct {
	mu   sync.Mutex
	f    *os.File
	buf  *bufio.Writer
	w    codec.Writer
	path string
	// durable: flush every write (serve).
	durable bool
}

func openFileTarget(tp *engine.TargetPlan, rc *engine.RunContext) (engine.TargetWriter, error) {
	path := tp.Values.String("path")
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	durable := rc != nil && rc.Durable
	if durable && !tp.Values.Bool("append") {
		return nil, fmt.Errorf("under serve a file target must set append = true: replacing %s at every start would lose what earlier runs wrote", path)
	}
	if durable && tp.Values.String("format") == "json" {
		return nil, fmt.Errorf("under serve a file target writes ndjson or csv: a JSON array in %s is only complete when the process stops", path)
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if tp.Values.Bool("append") {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	buf := bufio.NewWriterSize(f, 256<<10)
	w, err := codec.NewWriter(buf, tp.Values.String("format"), codec.WriterOptions{})
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileTarget{f: f, buf: buf, w: w, path: path, durable: durable}, nil
}

func (t *fileTarget) Write(_ context.Context, op *engine.Operation) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.w.Write(op.Body); err != nil {
		return err
	}
	if t.durable {
		// Serve marks the write done once this returns: it must be in the
		// file (the OS has it; a killed process loses nothing).
		return flush(t.w, t.buf)
	}
	return nil
}

// flush pushes a codec writer's buffered output through buf to the file.
func flush(w codec.Writer, buf *bufio.Writer) error {
	if f, ok := w.(codec.Flusher); ok {
		if err := f.Flush(); err != nil {
			return err
		}
	}
	return buf.Flush()
}

func (t *fileTarget) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.w.Close()
	if ferr := t.buf.Flush(); err == nil {
		err = ferr
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	return err
}

type stdoutTarget struct {
	mu      sync.Mutex
	buf     *bufio.Writer
	w       codec.Writer
	durable bool
}

func openStdoutTarget(tp *engine.TargetPlan, rc *engine.RunContext) (engine.TargetWriter, error) {
	out := io.Writer(os.Stdout)
	if rc != nil && rc.Stdout != nil {
		out = rc.Stdout
	}
	buf := bufio.NewWriter(out)
	w, err := codec.NewWriter(buf, tp.Values.String("format"), codec.WriterOptions{})
	if err != nil {
		return nil, err
	}
	return &stdoutTarget{buf: buf, w: w, durable: rc != nil && rc.Durable}, nil
}

func (t *stdoutTarget) Write(_ context.Context, op *engine.Operation) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.w.Write(op.Body); err != nil {
		return err
	}
	if t.durable {
		return flush(t.w, t.buf)
	}
	return nil
}

func (t *stdoutTarget) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.w.Close()
	if ferr := t.buf.Flush(); err == nil {
		err = ferr
	}
	return err
}
