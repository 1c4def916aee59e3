package sftptest_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/internal/sftptest"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func TestServer(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	c := s.Dial(t)
	if err := c.MkdirAll("/in/sub"); err != nil {
		t.Fatal(err)
	}
	f, err := c.Create("/in/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "hello")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(s.Path("/in/a.txt")); string(b) != "hello" {
		t.Fatalf("content %q", b)
	}
	if _, err := c.Stat("/in/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat missing: %v", err)
	}
	os.WriteFile(s.Path("/in/b.txt"), []byte("x"), 0o644)
	// SFTP v3 rename refuses to replace; posix-rename replaces.
	if err := c.Rename("/in/a.txt", "/in/b.txt"); err == nil {
		t.Fatal("rename over an existing file succeeded")
	}
	if _, ok := c.HasExtension("posix-rename@openssh.com"); !ok {
		t.Fatal("no posix-rename extension")
	}
	if err := c.PosixRename("/in/a.txt", "/in/b.txt"); err != nil {
		t.Fatal(err)
	}
	entries, err := c.ReadDir("/in")
	if err != nil || len(entries) != 2 {
		t.Fatalf("list: %v %v", entries, err)
	}
	// Paths cannot escape the root.
	if _, err := c.Stat("/../../etc/passwd"); err == nil {
		t.Fatal("escaped the root")
	}
	if !strings.Contains(s.KnownHostsLine(), "[127.0.0.1]:") || !strings.HasPrefix(s.Fingerprint(), "SHA256:") {
		t.Fatalf("known_hosts line %q, fingerprint %q", s.KnownHostsLine(), s.Fingerprint())
	}
}

func TestKeyAuthAndFailures(t *testing.T) {
	key, pub := sftptest.NewClientKey(t)
	s := sftptest.New(t, sftptest.Options{Password: "-", AuthorizedKeys: []ssh.PublicKey{pub}, NoPosixRename: true,
		Fail: func(method, p string) error {
			if p == "/locked" {
				return sftp.ErrSSHFxPermissionDenied
			}
			return nil
		}})
	signer, err := ssh.ParsePrivateKey([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey), Timeout: 5 * time.Second}
	conn, err := ssh.Dial("tcp", s.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ReadDir("/locked"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("locked: %v", err)
	}
	os.WriteFile(s.Path("/a"), nil, 0o644)
	var se *sftp.StatusError
	if err := c.PosixRename("/a", "/b"); !errors.As(err, &se) || se.FxCode() != sftp.ErrSSHFxOpUnsupported {
		t.Fatalf("posix rename: %v", err)
	}
	// A password is refused.
	cfg.Auth = []ssh.AuthMethod{ssh.Password("secret")}
	if _, err := ssh.Dial("tcp", s.Addr, cfg); err == nil {
		t.Fatal("password accepted")
	}
}
