// Package sftptest runs an SFTP server in the test process, on
// 127.0.0.1:0: the real SSH and SFTP protocols (golang.org/x/crypto/ssh and
// github.com/pkg/sftp's request server) over a temporary directory that is
// the server's root, so tests can put files there and look at what a client
// did. The host key is a fresh ed25519 key; password and public-key
// authentication are accepted.
package sftptest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Options configure a Server; the zero value is usable.
type Options struct {
	User     string // default "flowctl"
	Password string // accepted password; default "secret"; "-" accepts none
	// AuthorizedKeys are accepted for public-key authentication.
	AuthorizedKeys []ssh.PublicKey
	// HostKey is the server's key; nil generates an ed25519 key.
	HostKey ssh.Signer
	// Root is the directory served as "/"; "" = a new t.TempDir().
	Root string
	// NoPosixRename answers the posix-rename@openssh.com extension with
	// "operation unsupported", like servers that lack it.
	NoPosixRename bool
	// Fail, when it returns an error for a request, fails that request
	// with it (e.g. sftp.ErrSSHFxPermissionDenied). method is the request
	// method: Get, Put, Open, List, Stat, Lstat, Rename, PosixRename,
	// Setstat, Mkdir, Rmdir, Remove.
	Fail func(method, path string) error
}

// Op is one request the server saw.
type Op struct {
	Method string
	Path   string
	Target string // Rename, PosixRename: the new name
}

func (o Op) String() string {
	if o.Target != "" {
		return o.Method + " " + o.Path + " -> " + o.Target
	}
	return o.Method + " " + o.Path
}

// Server is a running test server.
type Server struct {
	Addr     string // host:port
	Host     string
	Port     int
	Root     string
	User     string
	Password string
	HostKey  ssh.PublicKey

	opts Options
	ln   net.Listener
	wg   sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]bool
	ops    []Op
	closed bool
}

// New starts a server; it stops when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.User == "" {
		opts.User = "flowctl"
	}
	if opts.Password == "" {
		opts.Password = "secret"
	}
	if opts.Root == "" {
		opts.Root = t.TempDir()
	}
	if opts.HostKey == nil {
		opts.HostKey = NewHostKey(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sftptest: %v", err)
	}
	tcp := ln.Addr().(*net.TCPAddr)
	s := &Server{Addr: ln.Addr().String(), Host: "127.0.0.1", Port: tcp.Port, Root: opts.Root,
		User: opts.User, Password: opts.Password, HostKey: opts.HostKey.PublicKey(),
		opts: opts, ln: ln, conns: map[net.Conn]bool{}}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() != opts.User {
				return nil, fmt.Errorf("unknown user %q", c.User())
			}
			for _, k := range opts.AuthorizedKeys {
				if string(k.Marshal()) == string(key.Marshal()) {
					return &ssh.Permissions{}, nil
				}
			}
			return nil, errors.New("key not authorized")
		},
	}
	if opts.Password != "-" {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if c.User() == opts.User && string(pw) == opts.Password {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("wrong user or password")
		}
	}
	cfg.AddHostKey(opts.HostKey)
	s.wg.Add(1)
	go s.accept(cfg)
	t.Cleanup(s.Close)
	return s
}

// NewHostKey generates an ed25519 host key.
func NewHostKey(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// NewClientKey generates an ed25519 client key: the private key in
// OpenSSH PEM form (what a private_key setting holds) and its public key
// (for Options.AuthorizedKeys).
func NewClientKey(t testing.TB) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block)), sp
}

// Fingerprint is the host key's SHA-256 fingerprint, "SHA256:...".
func (s *Server) Fingerprint() string { return ssh.FingerprintSHA256(s.HostKey) }

// KnownHostsLine is the server's line for a known_hosts file.
func (s *Server) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey)
}

// WriteKnownHosts writes a known_hosts file with the server's line and
// returns its path.
func (s *Server) WriteKnownHosts(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(s.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Path is the local path of a server path ("/in/a.edi").
func (s *Server) Path(name string) string {
	return filepath.Join(s.Root, filepath.FromSlash(path.Clean("/"+name)))
}

// Ops returns the requests seen so far.
func (s *Server) Ops() []Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Op(nil), s.ops...)
}

// Close stops the server and drops every connection.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// DropConnections closes the open connections, as a network failure would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

func (s *Server) accept(cfg *ssh.ServerConfig) {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			s.serve(c, cfg)
		}()
	}
}

func (s *Server) serve(c net.Conn, cfg *ssh.ServerConfig) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ch.Close()
			for req := range creqs {
				if req.Type == "subsystem" && len(req.Payload) >= 4 && string(req.Payload[4:]) == "sftp" {
					req.Reply(true, nil)
					h := &handler{s: s}
					rs := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
					rs.Serve()
					rs.Close()
					return
				}
				req.Reply(false, nil)
			}
		}()
	}
}

// handler serves requests from the server's root directory.
type handler struct{ s *Server }

func (h *handler) record(r *sftp.Request) error {
	h.s.mu.Lock()
	h.s.ops = append(h.s.ops, Op{Method: r.Method, Path: r.Filepath, Target: r.Target})
	h.s.mu.Unlock()
	if h.s.opts.Fail != nil {
		return h.s.opts.Fail(r.Method, r.Filepath)
	}
	return nil
}

func (h *handler) local(p string) string { return h.s.Path(p) }

func (h *handler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	if err := h.record(r); err != nil {
		return nil, err
	}
	return os.Open(h.local(r.Filepath))
}

func openFlags(r *sftp.Request) int {
	pf := r.Pflags()
	var fl int
	switch {
	case pf.Read && pf.Write:
		fl = os.O_RDWR
	case pf.Write || pf.Append:
		fl = os.O_WRONLY
	default:
		fl = os.O_RDONLY
	}
	if pf.Creat {
		fl |= os.O_CREATE
	}
	if pf.Trunc {
		fl |= os.O_TRUNC
	}
	if pf.Excl {
		fl |= os.O_EXCL
	}
	return fl
}

// appendFile writes at the end whatever the offset, as OpenSSH does for
// SSH_FXF_APPEND.
type appendFile struct{ *os.File }

func (a appendFile) WriteAt(b []byte, _ int64) (int, error) {
	off, err := a.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	return a.File.WriteAt(b, off)
}

func (h *handler) open(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	if err := h.record(r); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(h.local(r.Filepath), openFlags(r), 0o644)
	if err != nil {
		return nil, err
	}
	if r.Pflags().Append {
		return appendFile{f}, nil
	}
	return f, nil
}

func (h *handler) Filewrite(r *sftp.Request) (io.WriterAt, error) { return h.open(r) }

func (h *handler) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) { return h.open(r) }

func (h *handler) Filecmd(r *sftp.Request) error {
	if err := h.record(r); err != nil {
		return err
	}
	p := h.local(r.Filepath)
	switch r.Method {
	case "Setstat":
		flags, attrs := r.AttrFlags(), r.Attributes()
		if flags.Size {
			if err := os.Truncate(p, int64(attrs.Size)); err != nil {
				return err
			}
		}
		if flags.Permissions {
			if err := os.Chmod(p, attrs.FileMode().Perm()); err != nil {
				return err
			}
		}
		if flags.Acmodtime {
			return os.Chtimes(p, attrs.AccessTime(), attrs.ModTime())
		}
		return nil
	case "Rename":
		// SFTP v3: the new name must not exist.
		if _, err := os.Lstat(h.local(r.Target)); err == nil {
			return sftp.ErrSSHFxFailure
		}
		return os.Rename(p, h.local(r.Target))
	case "Mkdir":
		return os.Mkdir(p, 0o755)
	case "Rmdir", "Remove":
		return os.Remove(p)
	}
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename replaces the new name atomically.
func (h *handler) PosixRename(r *sftp.Request) error {
	if err := h.record(r); err != nil {
		return err
	}
	if h.s.opts.NoPosixRename {
		return sftp.ErrSSHFxOpUnsupported
	}
	return os.Rename(h.local(r.Filepath), h.local(r.Target))
}

func (h *handler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	if err := h.record(r); err != nil {
		return nil, err
	}
	p := h.local(r.Filepath)
	switch r.Method {
	case "List":
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		out := make(lister, 0, len(entries))
		for _, e := range entries {
			if info, err := e.Info(); err == nil {
				out = append(out, info)
			}
		}
		return out, nil
	case "Stat":
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		return lister{info}, nil
	case "Lstat":
		info, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		return lister{info}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

type lister []os.FileInfo

func (l lister) ListAt(f []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(f, l[off:])
	if n < len(f) {
		return n, io.EOF
	}
	return n, nil
}

// Dial connects a plain pkg/sftp client with the server's credentials,
// checking its host key: for tests that set up or inspect files through
// the protocol.
func (s *Server) Dial(t testing.TB) *sftp.Client {
	t.Helper()
	cfg := &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.Password(s.Password)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey), Timeout: 10 * time.Second}
	c, err := ssh.Dial("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), cfg)
	if err != nil {
		t.Fatalf("sftptest: dial: %v", err)
	}
	sc, err := sftp.NewClient(c)
	if err != nil {
		c.Close()
		t.Fatalf("sftptest: %v", err)
	}
	t.Cleanup(func() { sc.Close(); c.Close() })
	return sc
}
