package sftp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	connsftp "github.com/flowctl/flowctl/connectors/sftp"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/sftptest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func config(s *sftptest.Server) connsftp.Config {
	return connsftp.Config{Host: s.Host, Port: s.Port, User: s.User, Password: engine.NewSecret(s.Password), Timeout: 5 * time.Second}
}

func dial(t *testing.T, cfg connsftp.Config) (*connsftp.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := connsftp.Dial(ctx, cfg)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func mustDial(t *testing.T, cfg connsftp.Config) *connsftp.Conn {
	t.Helper()
	c, err := dial(t, cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if _, err := c.SFTP.ReadDir("/"); err != nil {
		t.Fatalf("list: %v", err)
	}
	return c
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHostKeyFromKnownHosts(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	other := sftptest.New(t, sftptest.Options{})
	cfg := config(s)
	// Several lines, the server's among them.
	cfg.KnownHosts = writeFile(t, "known_hosts", other.KnownHostsLine()+"\n"+s.KnownHostsLine()+"\n")
	mustDial(t, cfg)
}

func TestHostKeyPinned(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	cfg := config(s)
	cfg.HostKey = s.Fingerprint()
	mustDial(t, cfg)
	cfg.HostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey)))
	mustDial(t, cfg)
}

func wantHostKeyError(t *testing.T, err error, s *sftptest.Server, want ...string) {
	t.Helper()
	var he *connsftp.HostKeyError
	if !errors.As(err, &he) {
		t.Fatalf("want a host key error, got %v", err)
	}
	if retry, _ := engine.IsRetryable(err); retry {
		t.Errorf("a host key error is retryable: %v", err)
	}
	msg := err.Error()
	for _, w := range append(want, s.Fingerprint(), s.Addr) {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not name %q:\n%s", w, msg)
		}
	}
}

func TestUnknownHostKey(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	other := sftptest.New(t, sftptest.Options{})
	cfg := config(s)
	cfg.KnownHosts = writeFile(t, "known_hosts", other.KnownHostsLine()+"\n")
	_, err := dial(t, cfg)
	wantHostKeyError(t, err, s, "is not in known_hosts", "ssh-ed25519")
	t.Log(err)
}

func TestChangedHostKey(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	// known_hosts holds another key for this very address.
	old := sftptest.NewHostKey(t).PublicKey()
	line := strings.Replace(s.KnownHostsLine(), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey))),
		strings.TrimSpace(string(ssh.MarshalAuthorizedKey(old))), 1)
	cfg := config(s)
	cfg.KnownHosts = writeFile(t, "known_hosts", line+"\n")
	_, err := dial(t, cfg)
	wantHostKeyError(t, err, s, "has changed", ssh.FingerprintSHA256(old), "man-in-the-middle")
	t.Log(err)

	// A pinned fingerprint that does not match.
	cfg = config(s)
	cfg.HostKey = ssh.FingerprintSHA256(old)
	_, err = dial(t, cfg)
	wantHostKeyError(t, err, s, "has changed", "host_key expects "+ssh.FingerprintSHA256(old))
}

func TestHostKeyRequired(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	_, err := dial(t, config(s))
	if err == nil || !strings.Contains(err.Error(), "host keys are always verified") {
		t.Fatalf("no verification configured: %v", err)
	}
	cfg := config(s)
	cfg.HostKey = "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"
	if _, err := dial(t, cfg); err == nil || !strings.Contains(err.Error(), "SHA256 fingerprint") {
		t.Fatalf("MD5 pin: %v", err)
	}
}

func TestPasswordAuth(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	cfg := config(s)
	cfg.HostKey = s.Fingerprint()
	mustDial(t, cfg)
	cfg.Password = engine.NewSecret("wrong")
	_, err := dial(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "refused the login") {
		t.Fatalf("wrong password: %v", err)
	}
	if retry, _ := engine.IsRetryable(err); retry {
		t.Error("a refused login is retryable")
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Error("the error shows the password")
	}
}

func TestKeyAuth(t *testing.T) {
	key, pub := sftptest.NewClientKey(t)
	s := sftptest.New(t, sftptest.Options{Password: "-", AuthorizedKeys: []ssh.PublicKey{pub}})
	cfg := config(s)
	cfg.Password = engine.Secret{}
	cfg.PrivateKey = engine.NewSecret(key)
	cfg.KnownHosts = s.WriteKnownHosts(t)
	mustDial(t, cfg)

	other, _ := sftptest.NewClientKey(t)
	cfg.PrivateKey = engine.NewSecret(other)
	if _, err := dial(t, cfg); err == nil || !strings.Contains(err.Error(), "refused the login") {
		t.Fatalf("unauthorized key: %v", err)
	}
	cfg.PrivateKey = engine.NewSecret("not a key")
	if _, err := dial(t, cfg); err == nil || !strings.Contains(err.Error(), "private_key") {
		t.Fatalf("bad key: %v", err)
	}
}

// TestConnectTimeout: a server that accepts but never speaks SSH fails
// the connection within the timeout, as a retryable error.
func TestConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	cfg := connsftp.Config{Host: "127.0.0.1", Port: addr.Port, User: "u", Password: engine.NewSecret("p"),
		HostKey: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err = dial(t, cfg)
	if err == nil {
		t.Fatal("connected to a silent server")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("gave up after %s, timeout 300ms", d)
	}
	if retry, _ := engine.IsRetryable(err); !retry {
		t.Errorf("a timeout is not retryable: %v", err)
	}
	// Nothing listens: refused, retryable.
	ln.Close()
	if _, err := dial(t, cfg); err == nil {
		t.Fatal("connected to a closed port")
	} else if retry, _ := engine.IsRetryable(err); !retry {
		t.Errorf("a refused connection is not retryable: %v", err)
	}
}

// TestHostKeyTypeChanged: known_hosts knows an ECDSA key for the address,
// the server only has an ed25519 one.
func TestHostKeyTypeChanged(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := ssh.NewPublicKey(&priv.PublicKey)
	cfg := config(s)
	cfg.KnownHosts = writeFile(t, "known_hosts", knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, old)+"\n")
	_, err = dial(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "may have changed") {
		t.Fatalf("got %v", err)
	}
	if retry, _ := engine.IsRetryable(err); retry {
		t.Error("retryable")
	}
}
