package folderpoll

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// OS is the local file system as an FS. Paths are used as given (relative
// to the working directory unless absolute).
type OS struct{}

var (
	_ FS      = OS{}
	_ LocalFS = OS{}
)

func osPath(name string) string { return filepath.FromSlash(name) }

// LocalPath implements LocalFS.
func (OS) LocalPath(name string) string { return osPath(name) }

// List implements FS: regular files and directories; symbolic links to
// them are followed.
func (OS) List(dir string) ([]FileInfo, error) {
	entries, err := os.ReadDir(osPath(dir))
	if err != nil {
		return nil, err
	}
	out := make([]FileInfo, 0, len(entries))
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(osPath(dir), e.Name()))
		if err != nil {
			continue // vanished, or a dangling link
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			continue
		}
		out = append(out, FileInfo{Name: e.Name(), Size: info.Size(), ModTime: info.ModTime(), IsDir: info.IsDir()})
	}
	return out, nil
}

// Stat implements FS.
func (OS) Stat(name string) (FileInfo, error) {
	info, err := os.Stat(osPath(name))
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Name: info.Name(), Size: info.Size(), ModTime: info.ModTime(), IsDir: info.IsDir()}, nil
}

// Open implements FS.
func (OS) Open(name string) (io.ReadCloser, error) { return os.Open(osPath(name)) }

// Rename implements FS; it refuses to replace an existing file.
func (OS) Rename(oldname, newname string) error {
	if _, err := os.Lstat(osPath(newname)); err == nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrExist}
	}
	return os.Rename(osPath(oldname), osPath(newname))
}

// WriteFile implements FS.
func (OS) WriteFile(name string, data []byte) error { return os.WriteFile(osPath(name), data, 0o644) }

// AppendFile implements FS; the data is synced so a recorded checksum
// survives a crash.
func (OS) AppendFile(name string, data []byte) error {
	f, err := os.OpenFile(osPath(name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// MkdirAll implements FS.
func (OS) MkdirAll(dir string) error { return os.MkdirAll(osPath(dir), 0o755) }
