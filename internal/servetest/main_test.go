package servetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
)

// flowctl is the binary under test, built once by TestMain.
var flowctl string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "servetest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(tmp)
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		fmt.Fprintf(os.Stderr, "servetest: cannot find the module root (go env GOMOD: %q, %v)\n", gomod, err)
		return 2
	}
	flowctl = filepath.Join(tmp, "flowctl")
	build := exec.Command("go", "build", "-o", flowctl, "./cmd/flowctl")
	build.Dir = filepath.Dir(gomod)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "servetest: building flowctl: %v\n%s", err, out)
		return 2
	}
	return m.Run()
}

// proc is one flowctl process with its stderr (JSON log lines) captured.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd

	mu    sync.Mutex
	lines []string
	addr  string // the listener, from {"msg":"listening","addr":...}
	seen  chan struct{}

	exited chan struct{}
	state  *os.ProcessState
	start  time.Time
}

// startProc runs flowctl with args; the process is killed when the test
// ends, if still running.
func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(flowctl, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	p := &proc{t: t, name: name, cmd: cmd, seen: make(chan struct{}, 1), exited: make(chan struct{}), start: time.Now()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.lines = append(p.lines, line)
			if p.addr == "" && strings.Contains(line, `"msg":"listening"`) {
				var l struct{ Addr string }
				if json.Unmarshal([]byte(line), &l) == nil && l.Addr != "" {
					p.addr = l.Addr
				}
			}
			p.mu.Unlock()
			select {
			case p.seen <- struct{}{}:
			default:
			}
		}
		cmd.Wait()
		p.mu.Lock()
		p.state = cmd.ProcessState
		p.mu.Unlock()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		p.checkLogLines()
		if t.Failed() {
			p.dump(60)
		}
	})
	return p
}

// checkLogLines fails the test for a JSON log line that repeats a key:
// log processors keep one of the values (most the last), so a repeated
// "msg" loses the message.
func (p *proc) checkLogLines() {
	p.mu.Lock()
	defer p.mu.Unlock()
	bad := 0
	for _, l := range p.lines {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		if dup, err := repeatedKeys(l); err != nil || len(dup) > 0 {
			if bad++; bad <= 3 {
				p.t.Errorf("%s: log line with repeated keys %v (%v): %s", p.name, dup, err, l)
			}
		}
	}
	if bad > 3 {
		p.t.Errorf("%s: %d log lines with repeated keys in all", p.name, bad)
	}
}

// repeatedKeys lists the keys a JSON object (at its top level) has more
// than once.
func repeatedKeys(s string) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	seen := map[string]bool{}
	var dup []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return dup, err
		}
		k := tok.(string)
		if seen[k] {
			dup = append(dup, k)
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return dup, err
		}
	}
	return dup, nil
}

// dump logs the last n lines of the process's stderr.
func (p *proc) dump(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	from := max(0, len(p.lines)-n)
	p.t.Logf("--- %s: last %d of %d stderr lines", p.name, len(p.lines)-from, len(p.lines))
	for _, l := range p.lines[from:] {
		p.t.Logf("%s| %s", p.name, l)
	}
}

// waitAddr waits for the "listening" log line and returns its address.
func (p *proc) waitAddr(d time.Duration) string {
	p.t.Helper()
	deadline := time.After(d)
	for {
		p.mu.Lock()
		addr := p.addr
		p.mu.Unlock()
		if addr != "" {
			return addr
		}
		select {
		case <-p.seen:
		case <-p.exited:
			p.dump(40)
			p.t.Fatalf("%s exited before listening: %v", p.name, p.state)
		case <-deadline:
			p.dump(40)
			p.t.Fatalf("%s: no listening address after %v", p.name, d)
		}
	}
}

// count is the number of stderr lines containing s.
func (p *proc) count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// matching returns the stderr lines containing s.
func (p *proc) matching(s string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// stderr is everything the process wrote to stderr so far.
func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLog waits until a stderr line contains s n times.
func (p *proc) waitLog(s string, n int, d time.Duration) {
	p.t.Helper()
	deadline := time.After(d)
	for p.count(s) < n {
		select {
		case <-p.seen:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			p.dump(40)
			p.t.Fatalf("%s: %d log lines with %q after %v, want %d", p.name, p.count(s), s, d, n)
		}
	}
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatalf("%s: %v: %v", p.name, sig, err)
	}
}

// wait waits for the process to exit and returns its exit code (-1 when
// killed by a signal).
func (p *proc) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		p.dump(40)
		p.t.Fatalf("%s still running after %v", p.name, d)
	}
	return p.state.ExitCode()
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (p *proc) kill9() {
	p.t.Helper()
	p.signal(syscall.SIGKILL)
	p.wait(10 * time.Second)
}

// serveArgs are the arguments every serve process of these tests gets.
func serveArgs(dataDir, flowDir string, extra ...string) []string {
	args := []string{"serve", "--data", dataDir, "--listen", "127.0.0.1:0"}
	args = append(args, extra...)
	return append(args, flowDir)
}

// writeFlow renders testdata/<name> with values into a new flow
// directory and returns it.
func writeFlow(t *testing.T, name string, values any) string {
	t.Helper()
	tmpl, err := template.ParseFiles(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var b bytes.Buffer
	if err := tmpl.Execute(&b, values); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flow.hcl"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeRecords writes an NDJSON file into dir atomically (see writeFile).
func writeRecords(t *testing.T, dir, name string, recs []map[string]any) {
	t.Helper()
	if err := writeFile(dir, name, recs); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes an NDJSON file into dir atomically: under a name
// outside the watched glob first (a dot file), then renamed.
func writeFile(dir, name string, recs []map[string]any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	tmp := filepath.Join(dir, "."+name+".writing")
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

// filesIn lists the regular files of dir whose names match glob.
func filesIn(t *testing.T, dir, glob string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range m {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			out = append(out, f)
		}
	}
	return out
}

// metrics scrapes /metrics.
func metrics(addr string) (string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("/metrics: %s", resp.Status)
	}
	return string(data), err
}

// metric sums the samples of name (exactly) whose labels include every
// label="value" given; ok is false when there is none.
func metric(text, name string, labels ...string) (sum float64, ok bool) {
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		series, val, found := strings.Cut(line, " ")
		if !found {
			continue
		}
		n, rest, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		match := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				match = false
			}
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(val)[0], 64)
		if err != nil {
			continue
		}
		sum += v
		ok = true
	}
	return sum, ok
}

// scrape reads one metric from a running process (0 when absent or the
// process cannot be reached).
func scrape(addr, name string, labels ...string) float64 {
	text, err := metrics(addr)
	if err != nil {
		return 0
	}
	v, _ := metric(text, name, labels...)
	return v
}

// readyz returns /readyz's status and body.
func readyz(addr string) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// waitUntil polls cond every 50 ms until it holds or d passes.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// storeContents opens a stopped serve's data directory and reads its
// journal and dead letters.
type storeContents struct {
	journal     []*durable.Entry
	deadLetters []*durable.DeadLetter
}

func readStore(t *testing.T, opts durable.Options) storeContents {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := durable.Open(ctx, opts)
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	defer st.Close()
	var c storeContents
	if err := st.Entries(ctx, durable.Filter{}, func(e *durable.Entry) error {
		c.journal = append(c.journal, e)
		return nil
	}); err != nil {
		t.Fatalf("reading the journal: %v", err)
	}
	if err := st.DeadLetters(ctx, durable.Filter{}, func(d *durable.DeadLetter) error {
		c.deadLetters = append(c.deadLetters, d)
		return nil
	}); err != nil {
		t.Fatalf("reading the dead letters: %v", err)
	}
	return c
}

// runFlowctl runs a short flowctl command and returns its stdout, stderr
// and exit status.
func runFlowctl(t *testing.T, timeout time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, flowctl, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("flowctl %s: still running after %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, o.String(), e.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("flowctl %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}
