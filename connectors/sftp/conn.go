package sftp

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Config is an sftp connection's settings.
type Config struct {
	Host       string
	Port       int
	User       string
	Password   engine.Secret
	PrivateKey engine.Secret // PEM (OpenSSH, PKCS#1, PKCS#8), unencrypted
	KnownHosts string        // known_hosts file
	HostKey    string        // pinned "SHA256:..." fingerprint, or a public key line
	Timeout    time.Duration // TCP connect plus SSH and SFTP handshakes
}

// ConfigFrom reads a connection block.
func ConfigFrom(v *engine.Values) Config {
	c := Config{Host: v.String("host"), Port: v.Int("port"), User: v.String("username"),
		Password: v.Secret("password"), PrivateKey: v.Secret("private_key"),
		KnownHosts: v.String("known_hosts"), HostKey: v.String("host_key"), Timeout: v.Duration("timeout")}
	if c.Port == 0 {
		c.Port = 22
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return c
}

// Addr is host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// HostKeyError is a server whose host key could not be verified: unknown
// to known_hosts, different from the known or pinned key, or revoked. It is
// permanent: the connection is never made.
type HostKeyError struct {
	Host        string // host:port as dialled
	KeyType     string // of the presented key
	Fingerprint string // SHA256 fingerprint of the presented key
	Unknown     bool   // known_hosts has no key for the host
	Revoked     bool   // the key is marked @revoked
	Source      string // "known_hosts FILE" or "host_key"
	Want        []string
}

func (e *HostKeyError) Error() string {
	switch {
	case e.Revoked:
		return fmt.Sprintf("sftp: the host key of %s is revoked in %s: the server presented %s %s", e.Host, e.Source, e.KeyType, e.Fingerprint)
	case e.Unknown:
		return fmt.Sprintf("sftp: host %s is not in %s: the server presented the %s host key %s; "+
			"check this fingerprint with the server's owner, then add the key to known_hosts or pin it with host_key = %q",
			e.Host, e.Source, e.KeyType, e.Fingerprint, e.Fingerprint)
	}
	return fmt.Sprintf("sftp: the host key of %s has changed: the server presented %s %s, %s expects %s; "+
		"this can be a man-in-the-middle attack: check with the server's owner before trusting the new key",
		e.Host, e.KeyType, e.Fingerprint, e.Source, strings.Join(e.Want, " or "))
}

// keyAlgos are the host key algorithms that verify a key type.
func keyAlgos(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// probeKey is a key no known_hosts line holds: checking it lists the keys
// known for a host.
var probeKey, _ = ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))

// hostKeyCheck builds the verification of the server's host key, and the
// host key algorithms to ask for (those of the known keys, so a server
// with several host keys presents the one we know).
func (c Config) hostKeyCheck() (ssh.HostKeyCallback, []string, error) {
	type check func(host string, remote net.Addr, key ssh.PublicKey) error
	var checks []check
	var algos []string
	if c.KnownHosts != "" {
		file := expandHome(c.KnownHosts)
		kh, err := knownhosts.New(file)
		if err != nil {
			return nil, nil, engine.Permanent(fmt.Errorf("sftp: known_hosts: %w", err))
		}
		var ke *knownhosts.KeyError
		if err := kh(c.Addr(), &net.TCPAddr{IP: net.IPv4zero}, probeKey); errors.As(err, &ke) {
			seen := map[string]bool{}
			for _, w := range ke.Want {
				if t := w.Key.Type(); !seen[t] {
					seen[t] = true
					algos = append(algos, keyAlgos(t)...)
				}
			}
		}
		source := "known_hosts " + file
		checks = append(checks, func(host string, remote net.Addr, key ssh.PublicKey) error {
			err := kh(host, remote, key)
			if err == nil {
				return nil
			}
			he := &HostKeyError{Host: host, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Source: source}
			var ke *knownhosts.KeyError
			var re *knownhosts.RevokedError
			switch {
			case errors.As(err, &re):
				he.Revoked = true
			case errors.As(err, &ke) && len(ke.Want) == 0:
				he.Unknown = true
			case errors.As(err, &ke):
				for _, w := range ke.Want {
					he.Want = append(he.Want, fmt.Sprintf("%s %s (line %d)", w.Key.Type(), ssh.FingerprintSHA256(w.Key), w.Line))
				}
			default:
				return err
			}
			return he
		})
	}
	if c.HostKey != "" {
		pin, pinType, err := parsePin(c.HostKey)
		if err != nil {
			return nil, nil, engine.Permanent(err)
		}
		if pinType != "" && algos == nil {
			algos = keyAlgos(pinType)
		}
		checks = append(checks, func(host string, _ net.Addr, key ssh.PublicKey) error {
			if got := ssh.FingerprintSHA256(key); got != pin {
				return &HostKeyError{Host: host, KeyType: key.Type(), Fingerprint: got, Source: "host_key", Want: []string{pin}}
			}
			return nil
		})
	}
	if len(checks) == 0 {
		return nil, nil, engine.Permanent(errors.New("sftp: host keys are always verified: set known_hosts or host_key"))
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		for _, ck := range checks {
			if err := ck(host, remote, key); err != nil {
				return err
			}
		}
		return nil
	}, algos, nil
}

// parsePin reads host_key: a "SHA256:..." fingerprint (as ssh-keygen -lf
// and ssh-keyscan print it), or a public key line ("ssh-ed25519 AAAA...",
// optionally with the host in front, as in known_hosts).
func parsePin(s string) (fingerprint, keyType string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "SHA256:") {
		return strings.TrimRight(s, "="), "", nil
	}
	if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err == nil {
		return ssh.FingerprintSHA256(key), key.Type(), nil
	}
	if _, _, key, _, _, err := ssh.ParseKnownHosts([]byte(s)); err == nil {
		return ssh.FingerprintSHA256(key), key.Type(), nil
	}
	return "", "", fmt.Errorf("sftp: host_key must be a SHA256 fingerprint (SHA256:..., as `ssh-keygen -lf` prints it) or a public key line")
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// authMethods turns the credentials into SSH auth methods. Secrets are
// revealed here, where they go on the wire, and nowhere else.
func (c Config) authMethods() ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if c.PrivateKey.IsSet() {
		signer, err := ssh.ParsePrivateKey([]byte(c.PrivateKey.Reveal()))
		var pm *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pm):
			return nil, engine.Permanent(errors.New("sftp: private_key is protected by a passphrase; give an unencrypted key (it is held as a secret)"))
		case err != nil:
			return nil, engine.Permanent(fmt.Errorf("sftp: private_key is not a usable private key: %w", err))
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if c.Password.IsSet() {
		pw := c.Password
		methods = append(methods, ssh.Password(pw.Reveal()),
			// Servers that ask through keyboard-interactive (PAM) get the
			// password as the answer.
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw.Reveal()
				}
				return answers, nil
			}))
	}
	if len(methods) == 0 {
		return nil, engine.Permanent(errors.New("sftp: set password or private_key"))
	}
	return methods, nil
}

// Conn is an open SFTP session.
type Conn struct {
	SSH  *ssh.Client
	SFTP *sftp.Client
}

// Close ends the session.
func (c *Conn) Close() error {
	err := c.SFTP.Close()
	if serr := c.SSH.Close(); err == nil {
		err = serr
	}
	return err
}

// Dial connects and opens the SFTP subsystem within cfg.Timeout. Errors are
// classified: host key and login failures are permanent, network failures
// and timeouts retryable.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	hostKey, algos, err := cfg.hostKeyCheck()
	if err != nil {
		return nil, err
	}
	auth, err := cfg.authMethods()
	if err != nil {
		return nil, err
	}
	addr := cfg.Addr()
	d := net.Dialer{Timeout: cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, engine.Retryable(fmt.Errorf("sftp: connecting to %s: %w", addr, err), 0)
	}
	// One deadline for the SSH handshake, the login and the SFTP start.
	nc.SetDeadline(time.Now().Add(cfg.Timeout))
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, &ssh.ClientConfig{
		User: cfg.User, Auth: auth, HostKeyCallback: hostKey, HostKeyAlgorithms: algos, Timeout: cfg.Timeout,
	})
	if err != nil {
		nc.Close()
		return nil, dialError(addr, cfg, err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	sc2, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		client.Close()
		if isTimeout(err) {
			return nil, engine.Retryable(fmt.Errorf("sftp: %s: starting SFTP timed out after %s", addr, cfg.Timeout), 0)
		}
		return nil, classify(fmt.Errorf("sftp: %s: starting SFTP: %w", addr, err))
	}
	nc.SetDeadline(time.Time{})
	return &Conn{SSH: client, SFTP: sc2}, nil
}

func dialError(addr string, cfg Config, err error) error {
	var he *HostKeyError
	switch {
	case errors.As(err, &he):
		return engine.Permanent(he)
	case strings.Contains(err.Error(), "unable to authenticate"):
		return engine.Permanent(fmt.Errorf("sftp: %s refused the login of %q: check username and password/private_key", addr, cfg.User))
	case isTimeout(err):
		return engine.Retryable(fmt.Errorf("sftp: %s: no SSH handshake within %s", addr, cfg.Timeout), 0)
	case strings.Contains(err.Error(), "no common algorithm for host key"):
		return engine.Permanent(fmt.Errorf("sftp: %s presented no host key of a type known for it (known_hosts or host_key); its host key may have changed: %w", addr, err))
	case strings.Contains(err.Error(), "no common algorithm"):
		return engine.Permanent(fmt.Errorf("sftp: %s: %w", addr, err))
	}
	return engine.Retryable(fmt.Errorf("sftp: %s: %w", addr, err), 0)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// connectionLost reports an error of the transport rather than of the
// request.
func connectionLost(err error) bool {
	var ne net.Error
	return errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, sftp.ErrSSHFxNoConnection) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &ne)
}

// classify marks an SFTP error: permission, missing paths and unsupported
// operations are permanent; transport failures and the server's generic
// failure (a full disk, a lock) are retryable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ce *engine.ConnectorError
	if errors.As(err, &ce) {
		return err
	}
	var he *HostKeyError
	if errors.As(err, &he) {
		return engine.Permanent(err)
	}
	if connectionLost(err) {
		return engine.Retryable(err, 0)
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return engine.Permanent(err)
	}
	var se *sftp.StatusError
	if errors.As(err, &se) {
		switch se.FxCode() {
		case sftp.ErrSSHFxNoSuchFile, sftp.ErrSSHFxPermissionDenied, sftp.ErrSSHFxOpUnsupported, sftp.ErrSSHFxBadMessage:
			return engine.Permanent(err)
		}
		return engine.Retryable(err, 0)
	}
	return engine.Permanent(err)
}

// session is a lazily opened connection that is opened again after a
// transport failure.
type session struct {
	cfg Config
	mu  sync.Mutex
	c   *Conn
}

func (s *session) client(ctx context.Context) (*sftp.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		return s.c.SFTP, nil
	}
	c, err := Dial(ctx, s.cfg)
	if err != nil {
		return nil, err
	}
	s.c = c
	return c.SFTP, nil
}

// fail classifies err; a transport failure drops the connection so the
// next use connects again.
func (s *session) fail(err error) error {
	err = classify(err)
	if retry, _ := engine.IsRetryable(err); retry {
		s.drop()
	}
	return err
}

func (s *session) drop() {
	s.mu.Lock()
	c := s.c
	s.c = nil
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// Close ends the session.
func (s *session) Close() error {
	s.mu.Lock()
	c := s.c
	s.c = nil
	s.mu.Unlock()
	if c != nil {
		return c.Close()
	}
	return nil
}
