package odootest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultAPIKey is the API key of the default admin user.
const DefaultAPIKey = "odootest-admin-key"

// superuserID is the uid the seeding helpers run as (Odoo's __system__).
const superuserID = 1

// Options configure a Server. The zero value imitates Odoo 19 with one
// database "odoo" and one administrator (login "admin", password "admin",
// API key DefaultAPIKey).
type Options struct {
	// Version is the Odoo major version to imitate: 17, 18 or 19 (the
	// default). It sets the version strings, the JSON-RPC error code
	// (200, or 0 for 19), name_search's domain parameter ("args" in 17,
	// "domain" after) and whether JSON-2 is served (19 only).
	Version int
	// Database is the only database the server knows ("odoo").
	Database string
	// Users replaces the default administrator. Users without UID get
	// 2, 6, 7, ... in order, like Odoo's admin and the users created after.
	Users []User
	// Now is the clock for create_date, write_date, date_done, order dates
	// and invoice numbers (UTC). time.Now when nil.
	Now func() time.Time
	// LoginAttempts is how many failed logins from one address are allowed
	// before logins are refused for LockoutFor: 0 means Odoo's default (5,
	// 10 for version 19), a negative value disables the lockout.
	LoginAttempts int
	// LockoutFor is the login cooldown (60s when 0).
	LockoutFor time.Duration
}

// User is a user who can call the server.
type User struct {
	UID      int
	Login    string
	Password string
	// APIKey is accepted wherever the password is, and is the only
	// credential JSON-2 takes (Authorization: bearer <key>).
	APIKey string
	// Admin puts the user in Administration/Access Rights: only such users
	// may create or change ir.model.data (external ids).
	Admin bool
}

// Failure is what FailNext makes calls fail with: an HTTP status (e.g. 502,
// 503, 504, 429) answered with a short HTML page, as a proxy in front of
// Odoo would, or one of Serialization and Hang.
type Failure int

const (
	// Serialization answers with Odoo's error for a PostgreSQL
	// serialization failure once its own retries are exhausted:
	// psycopg2.errors.SerializationFailure (JSON-RPC error at HTTP 200,
	// JSON-2 HTTP 500, XML-RPC fault 1). The call has no effect.
	Serialization Failure = -1
	// Hang never answers: the request blocks until the client gives up or
	// the server is closed (for client timeouts).
	Hang Failure = -2
)

// String names the failure as Calls reports it.
func (f Failure) String() string {
	switch f {
	case Serialization:
		return SerializationFailure
	case Hang:
		return "hang"
	}
	return fmt.Sprintf("HTTP %d", int(f))
}

// Call is one RPC call the server received, for assertions in tests.
type Call struct {
	Protocol string // "jsonrpc", "json2" or "xmlrpc"
	Service  string // "common" or "object" (json2: "object")
	Method   string // execute_kw's model method, or the common method
	Model    string // empty for common calls
	UID      int
	Error    string // data.name of the error, if the call failed
}

const maxCallLog = 10000

// Server is an in-process Odoo server. It is safe for concurrent use: every
// call runs under one mutex as its own transaction.
type Server struct {
	opts Options

	mu        sync.Mutex
	models    map[string]*model
	modelList []*model // by name
	users     map[int]*User
	seq       map[string]int
	faults    []Failure
	logins    map[string]*loginState
	calls     []Call
	nCalls    int
	version   uint64 // bumped by every change to records

	startMu  sync.Mutex
	httpSrv  *http.Server
	ln       net.Listener
	closing  chan struct{}
	closeErr error
	closed   bool
}

type loginState struct {
	failures int
	last     time.Time
}

// NewServer returns a server with an empty database. It panics on an
// unsupported Options.Version.
func NewServer(opts Options) *Server {
	if opts.Version == 0 {
		opts.Version = 19
	}
	if opts.Version < 17 || opts.Version > 19 {
		panic(fmt.Sprintf("odootest: unsupported Odoo version %d (17, 18 or 19)", opts.Version))
	}
	if opts.Database == "" {
		opts.Database = "odoo"
	}
	if opts.LoginAttempts == 0 {
		opts.LoginAttempts = 5
		if opts.Version >= 19 {
			opts.LoginAttempts = 10
		}
	}
	if opts.LockoutFor == 0 {
		opts.LockoutFor = 60 * time.Second
	}
	if len(opts.Users) == 0 {
		opts.Users = []User{{Login: "admin", Password: "admin", APIKey: DefaultAPIKey, Admin: true}}
	}
	s := &Server{
		opts:    opts,
		models:  map[string]*model{},
		users:   map[int]*User{},
		seq:     map[string]int{},
		logins:  map[string]*loginState{},
		closing: make(chan struct{}),
	}
	s.defineModels()
	names := make([]string, 0, len(s.models))
	for n := range s.models {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s.modelList = append(s.modelList, s.models[n])
	}
	for _, u := range opts.Users {
		s.AddUser(u)
	}
	return s
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now().UTC()
	}
	return time.Now().UTC()
}

// AddUser adds a user and returns its uid.
func (s *Server) AddUser(u User) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.UID == 0 {
		u.UID = 2
		for s.users[u.UID] != nil || u.UID == 3 || u.UID == 4 || u.UID == 5 {
			u.UID++
		}
	}
	s.users[u.UID] = &u
	return u.UID
}

// Version is the imitated Odoo major version.
func (s *Server) Version() int { return s.opts.Version }

// Database is the database name the server answers for.
func (s *Server) Database() string { return s.opts.Database }

// FailNext makes the next n RPC calls (JSON-RPC, JSON-2 and XML-RPC
// requests) fail with f before they run, so they change nothing.
func (s *Server) FailNext(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.faults = append(s.faults, f)
	}
}

func (s *Server) takeFault() (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return 0, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// Calls returns the RPC calls received so far (the last 10000).
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallCount is the number of RPC calls received, failed ones included.
func (s *Server) CallCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nCalls
}

func (s *Server) logCall(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nCalls++
	if len(s.calls) >= maxCallLog {
		s.calls = append(s.calls[:0], s.calls[1:]...)
	}
	s.calls = append(s.calls, c)
}

// Handler returns the server's HTTP handler, for httptest.NewServer or a
// server of the caller's.
func (s *Server) Handler() http.Handler { return s }

// Start listens on addr ("127.0.0.1:0" when empty) and serves in the
// background. Only loopback addresses are accepted.
func (s *Server) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("odootest: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("odootest: refusing to listen on %s: not a loopback address", addr)
	}
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.ln != nil {
		return errors.New("odootest: server already started")
	}
	if s.closed {
		return errors.New("odootest: server closed")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("odootest: %w", err)
	}
	s.ln = ln
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.httpSrv.Serve(ln) //nolint:errcheck // ErrServerClosed after Close
	return nil
}

// URL is the base URL after Start ("http://127.0.0.1:PORT"), else "".
func (s *Server) URL() string {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops serving: hanging requests are released and connections
// closed. It is safe to call more than once.
func (s *Server) Close() error {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	close(s.closing)
	if s.httpSrv != nil {
		s.closeErr = s.httpSrv.Close()
	}
	return s.closeErr
}

const notFoundHTML = `<!doctype html>
<html lang=en>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>
`

const methodNotAllowedHTML = `<!doctype html>
<html lang=en>
<title>405 Method Not Allowed</title>
<h1>Method Not Allowed</h1>
<p>The method is not allowed for the requested URL.</p>
`

func writeRaw(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeRaw(w, status, "application/json; charset=utf-8", pyJSON(v))
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/jsonrpc":
		s.serveJSONRPC(w, r)
	case path == "/web/version":
		s.serveWebVersion(w, r)
	case path == "/json/2" || strings.HasPrefix(path, "/json/2/"):
		if s.opts.Version < 19 {
			writeRaw(w, http.StatusNotFound, "text/html; charset=utf-8", []byte(notFoundHTML))
			return
		}
		s.serveJSON2(w, r)
	case path == "/xmlrpc/2/common" || path == "/xmlrpc/2/object":
		if r.Method != http.MethodPost {
			writeRaw(w, http.StatusMethodNotAllowed, "text/html; charset=utf-8", []byte(methodNotAllowedHTML))
			return
		}
		s.serveXMLRPC(w, r, strings.TrimPrefix(path, "/xmlrpc/2/"))
	default:
		writeRaw(w, http.StatusNotFound, "text/html; charset=utf-8", []byte(notFoundHTML))
	}
}

// injectFault answers an RPC request with the next injected failure, if
// any; serialization failures are written by the protocol's writer.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, proto string, serialization func(*Error)) bool {
	f, ok := s.takeFault()
	if !ok {
		return false
	}
	s.logCall(Call{Protocol: proto, Error: f.String()})
	switch f {
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		panic(http.ErrAbortHandler) // drop the connection without answering
	case Serialization:
		serialization(newErr(SerializationFailure, "could not serialize access due to concurrent update\n"))
	default:
		status := int(f)
		text := http.StatusText(status)
		body := fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n",
			status, text, status, text)
		writeRaw(w, status, "text/html", []byte(body))
	}
	return true
}

func (s *Server) versionInfo() []any {
	return []any{s.opts.Version, 0, 0, "final", 0, ""}
}

func (s *Server) serverVersion() string { return fmt.Sprintf("%d.0", s.opts.Version) }

func (s *Server) serveWebVersion(w http.ResponseWriter, r *http.Request) {
	v := object{{"version_info", s.versionInfo()}, {"version", s.serverVersion()}}
	if r.Method == http.MethodPost {
		// The JSON-RPC form (type='json' route) of older clients.
		body, err := readBody(r)
		if err != nil {
			writeRaw(w, http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Invalid JSON data"))
			return
		}
		req, perr := decodeJSON(body)
		obj, ok := req.(map[string]any)
		if perr != nil || !ok {
			writeRaw(w, http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Invalid JSON data"))
			return
		}
		writeJSON(w, http.StatusOK, object{{"jsonrpc", "2.0"}, {"id", obj["id"]}, {"result", v}})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// checkDB reports a database other than the server's as PostgreSQL would.
func (s *Server) checkDB(db any) *Error {
	name, _ := db.(string)
	if name == s.opts.Database {
		return nil
	}
	return newErr(OperationalError, "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database %s does not exist\n",
		fmt.Sprintf("%q", name))
}

// checkCredentials is Odoo's security.check: uid and password or API key.
func (s *Server) checkCredentials(uid any, password any) (int, *Error) {
	id, ok := toInt(uid)
	pw, _ := password.(string)
	if !ok || pw == "" {
		return 0, accessDenied()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil || (pw != u.Password && pw != u.APIKey) || (u.Password == "" && u.APIKey == "") {
		return 0, accessDenied()
	}
	return id, nil
}

// login is common.login / authenticate: the uid, or false. Failed logins
// from one address lock it out for a while, as res.users._on_login_cooldown.
func (s *Server) login(remote string, login, password any) any {
	l, _ := login.(string)
	pw, _ := password.(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st := s.logins[remote]
	if s.opts.LoginAttempts > 0 && st != nil && st.failures >= s.opts.LoginAttempts &&
		now.Before(st.last.Add(s.opts.LockoutFor)) {
		return false // "Too many login failures", reported as false by authenticate
	}
	for _, uid := range s.sortedUIDs() {
		u := s.users[uid]
		if u.Login == l && pw != "" && (pw == u.Password || pw == u.APIKey) {
			delete(s.logins, remote)
			return u.UID
		}
	}
	if st == nil {
		st = &loginState{}
		s.logins[remote] = st
	}
	st.failures++
	st.last = now
	return false
}

func (s *Server) sortedUIDs() []int {
	ids := make([]int, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// userByAPIKey returns the uid owning key (JSON-2 bearer authentication).
func (s *Server) userByAPIKey(key string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "" {
		return 0, false
	}
	for _, uid := range s.sortedUIDs() {
		if s.users[uid].APIKey == key {
			return uid, true
		}
	}
	return 0, false
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
