package sftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/codec"
	"github.com/pkg/sftp"
)

// target uploads one file per operation: under a temporary name in the
// same directory, then renamed into place, so no reader of the directory
// ever sees a partial file under the final name.
type target struct {
	s      *session
	dir    string
	format string

	mu        sync.Mutex
	noPosixMv bool // the server refused posix-rename once
}

func openTarget(tp *engine.TargetPlan, rc *engine.RunContext) (engine.TargetWriter, error) {
	if tp.Connection == nil {
		return nil, fmt.Errorf("sftp target: no connection")
	}
	return &target{s: &session{cfg: ConfigFrom(tp.Connection.Values)}, dir: tp.Values.String("dir"), format: tp.Values.String("format")}, nil
}

// TempName is the name a file is uploaded under before it is renamed: a
// dot file (hidden from listings and from globs such as *.edi) ending in
// .tmp (skipped by folder pollers that do list dot files).
func TempName(name string) string { return "." + name + ".tmp" }

func (t *target) Write(ctx context.Context, op *engine.Operation) error {
	name, err := fileName(op)
	if err != nil {
		return engine.Permanent(err)
	}
	data, err := encode(op.Body, t.format)
	if err != nil {
		return engine.Permanent(fmt.Errorf("%s: %w", name, err))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c, err := t.s.client(ctx)
	if err != nil {
		return err
	}
	// A cancelled run must not hang on a stalled server.
	stop := context.AfterFunc(ctx, t.s.drop)
	defer stop()
	if err := t.upload(c, name, data); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return t.s.fail(fmt.Errorf("uploading %s: %w", path.Join(t.dir, name), err))
	}
	return nil
}

func (t *target) upload(c *sftp.Client, name string, data []byte) error {
	final, tmp := path.Join(t.dir, name), path.Join(t.dir, TempName(name))
	f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	_, err = f.ReadFrom(bytes.NewReader(data))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = t.rename(c, tmp, final)
	}
	if err != nil {
		c.Remove(tmp) // our own temporary file; best effort
	}
	return err
}

// rename moves the temporary file into place: posix-rename replaces an
// existing file atomically; without it, SFTP v3 rename refuses to replace,
// so an existing file is removed first (the name is briefly absent, never
// partial).
func (t *target) rename(c *sftp.Client, tmp, final string) error {
	if _, ok := c.HasExtension("posix-rename@openssh.com"); ok && !t.noPosixMv {
		err := c.PosixRename(tmp, final)
		var se *sftp.StatusError
		if err == nil || !(errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxOpUnsupported) {
			return err
		}
		t.noPosixMv = true
	}
	err := c.Rename(tmp, final)
	if err == nil {
		return nil
	}
	if _, serr := c.Stat(final); serr != nil {
		return err
	}
	if rerr := c.Remove(final); rerr != nil {
		return fmt.Errorf("replacing %s: %w", final, rerr)
	}
	return c.Rename(tmp, final)
}

func (t *target) Close() error { return t.s.Close() }

// fileName is the operation's evaluated filename: a plain name in dir.
func fileName(op *engine.Operation) (string, error) {
	v, ok := op.Fields["filename"]
	if !ok {
		return "", errors.New("no filename evaluated for the record")
	}
	name, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("filename must be a string, got %T", v)
	}
	switch {
	case name == "":
		return "", errors.New("filename is empty")
	case name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00"):
		return "", fmt.Errorf("filename %q must be a plain file name, without directories", name)
	}
	return name, nil
}

// encode renders a body in the target's format. A list body is several
// records in one file (a batch); for "json" a single record is written as
// one object, a list as an array. "edi" takes the document as is.
func encode(body any, format string) ([]byte, error) {
	if format == codec.FormatEDI {
		switch b := body.(type) {
		case string:
			return []byte(b), nil
		case []byte:
			return b, nil
		}
		return nil, fmt.Errorf("format edi needs the body to be the EDI document as a string, got %T", body)
	}
	items, isList := body.([]any)
	if !isList {
		items = []any{body}
		if format == codec.FormatJSON {
			format = codec.FormatNDJSON // one JSON document
		}
	}
	var buf bytes.Buffer
	w, err := codec.NewWriter(&buf, format, codec.WriterOptions{})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := w.Write(it); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
