package sftp

import (
	"context"
	"io"
	"os"

	"github.com/flowctl/flowctl/internal/folderpoll"
	"github.com/pkg/sftp"
)

// remoteFS is a server directory tree as a folderpoll.FS. Like the
// interface, it cannot delete a file.
type remoteFS struct{ s *session }

var _ folderpoll.FS = (*remoteFS)(nil)

func (r *remoteFS) do(f func(c *sftp.Client) error) error {
	c, err := r.s.client(context.Background())
	if err != nil {
		return err
	}
	if err := f(c); err != nil {
		return r.s.fail(err)
	}
	return nil
}

func info(fi os.FileInfo) folderpoll.FileInfo {
	return folderpoll.FileInfo{Name: fi.Name(), Size: fi.Size(), ModTime: fi.ModTime(), IsDir: fi.IsDir()}
}

func (r *remoteFS) List(dir string) (out []folderpoll.FileInfo, err error) {
	err = r.do(func(c *sftp.Client) error {
		entries, err := c.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Mode().IsRegular() || e.IsDir() {
				out = append(out, info(e))
			}
		}
		return nil
	})
	return out, err
}

func (r *remoteFS) Stat(name string) (fi folderpoll.FileInfo, err error) {
	err = r.do(func(c *sftp.Client) error {
		st, err := c.Stat(name)
		if err == nil {
			fi = info(st)
		}
		return err
	})
	return fi, err
}

func (r *remoteFS) Open(name string) (rc io.ReadCloser, err error) {
	err = r.do(func(c *sftp.Client) error {
		f, err := c.Open(name)
		rc = f
		return err
	})
	return rc, err
}

// Rename uses the SFTP v3 rename, which refuses to replace a file.
func (r *remoteFS) Rename(oldname, newname string) error {
	return r.do(func(c *sftp.Client) error { return c.Rename(oldname, newname) })
}

func (r *remoteFS) WriteFile(name string, data []byte) error {
	return r.do(func(c *sftp.Client) error {
		f, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// AppendFile writes at the end, whether or not the server honours the
// append flag.
func (r *remoteFS) AppendFile(name string, data []byte) error {
	return r.do(func(c *sftp.Client) error {
		f, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
		if err != nil {
			return err
		}
		if _, err = f.Seek(0, io.SeekEnd); err == nil {
			_, err = f.Write(data)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

func (r *remoteFS) MkdirAll(dir string) error {
	return r.do(func(c *sftp.Client) error { return c.MkdirAll(dir) })
}
