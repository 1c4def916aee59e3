package flowdiff

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/hashicorp/hcl/v2"
)

// GitPrefix marks a committed version: git:REF:path.
const GitPrefix = "git:"

// Version is one side of a diff: a configuration on disk, either a
// directory (or file) of the working tree or a committed version
// materialised into a temporary directory.
type Version struct {
	// Label is the version as given, e.g. "flows" or "git:HEAD~1:flows".
	Label string
	// Path is the configuration to load: Label itself, or the
	// materialised copy of a git version.
	Path string

	root   string // temporary directory of a git version ("" otherwise)
	prefix string // what root/ stands for in messages, e.g. "git:HEAD:"
	commit string // full commit id of a git version
	repo   string // repository top level of a git version
}

// IsGit reports whether spec names a committed version (git:REF:path).
func IsGit(spec string) bool { return strings.HasPrefix(spec, GitPrefix) }

// Open resolves spec: a directory or file path, or git:REF:path for the
// version of path (relative to the repository root) committed at REF in
// the repository holding the current directory. Close the returned
// version to remove what it materialised.
func Open(ctx context.Context, spec string) (*Version, error) {
	if spec == "" {
		return nil, errors.New("empty configuration path")
	}
	if !IsGit(spec) {
		if _, err := os.Stat(spec); err != nil {
			return nil, fmt.Errorf("%s: %w", spec, unwrapPathErr(err))
		}
		return &Version{Label: spec, Path: spec}, nil
	}
	v, err := openGit(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	return v, nil
}

// Close removes a materialised git version.
func (v *Version) Close() error {
	if v == nil || v.root == "" {
		return nil
	}
	return os.RemoveAll(v.root)
}

// Commit is the commit a git version was read from ("" for a directory).
func (v *Version) Commit() string { return v.commit }

// Relabel rewrites the temporary paths of a git version in s to the
// git:REF:path form the user gave, so messages name what they know.
func (v *Version) Relabel(s string) string {
	if v.root == "" || s == "" {
		return s
	}
	s = strings.ReplaceAll(s, v.root+string(filepath.Separator), v.prefix)
	return strings.ReplaceAll(s, v.root, strings.TrimSuffix(v.prefix, ":"))
}

// Compiled is a compiled version. Diags and Sources are relabelled (see
// Relabel) and ready for diagfmt.
type Compiled struct {
	Plan    *engine.Plan // nil when Diags has errors
	Diags   hcl.Diagnostics
	Sources map[string][]byte
}

// Compile loads and compiles the version. An error is returned when there
// is nothing to compile (no flow files, several configurations); compile
// errors are in Diags, with a nil Plan.
func (v *Version) Compile(opts engine.Options) (*Compiled, error) {
	units, err := dsl.Discover([]string{v.Path})
	if err != nil {
		return nil, errors.New(v.Relabel(err.Error()))
	}
	var files []string
	for _, u := range units {
		if filepath.Clean(u.Dir) == filepath.Clean(v.Path) || len(units) == 1 {
			files = u.Files
		}
	}
	if len(files) == 0 {
		if len(units) == 0 {
			return nil, fmt.Errorf("no flow files (*.hcl) found in %s", v.Label)
		}
		var dirs []string
		for _, u := range units {
			dirs = append(dirs, v.Relabel(u.Dir))
		}
		return nil, fmt.Errorf("%s holds several configurations (%s); name one directory", v.Label, strings.Join(dirs, ", "))
	}
	cfg, plan, diags := engine.LoadAndCompile(files, opts)
	c := &Compiled{Plan: plan, Diags: diags, Sources: cfg.Sources}
	if v.root != "" {
		c.Diags = make(hcl.Diagnostics, 0, len(diags))
		for _, d := range diags {
			c.Diags = append(c.Diags, v.relabelDiag(d))
		}
		c.Sources = make(map[string][]byte, len(cfg.Sources))
		for name, src := range cfg.Sources {
			c.Sources[v.Relabel(name)] = src
		}
	}
	return c, nil
}

func (v *Version) relabelDiag(d *hcl.Diagnostic) *hcl.Diagnostic {
	if d == nil {
		return nil
	}
	n := *d
	n.Summary, n.Detail = v.Relabel(d.Summary), v.Relabel(d.Detail)
	if d.Subject != nil {
		r := *d.Subject
		r.Filename = v.Relabel(r.Filename)
		n.Subject = &r
	}
	if d.Context != nil {
		r := *d.Context
		r.Filename = v.Relabel(r.Filename)
		n.Context = &r
	}
	return &n
}

// openGit materialises git:REF:path into a temporary directory, keeping
// the layout below the repository root: the configuration is root/path and
// lookup files it references elsewhere in the repository come along.
func openGit(ctx context.Context, spec string) (*Version, error) {
	ref, rel, ok := strings.Cut(strings.TrimPrefix(spec, GitPrefix), ":")
	if !ok || ref == "" {
		return nil, errors.New("want git:REF:PATH, e.g. git:HEAD:flows (PATH is relative to the repository root)")
	}
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("invalid git revision %q", ref)
	}
	rel = filepath.ToSlash(rel)
	if rel == "" {
		rel = "."
	}
	rel = path.Clean(rel)
	if path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("path %q must be relative to the repository root and stay inside it", rel)
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, errors.New("git is not installed (or not in PATH)")
	}
	top, err := git(ctx, "", nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("not inside a git repository: %w", err)
	}
	repo := strings.TrimSpace(string(top))
	out, err := git(ctx, repo, nil, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("unknown git revision %q", ref)
	}
	commit := strings.TrimSpace(string(out))

	args := []string{"ls-tree", "-r", "-z", "--full-tree", commit}
	if rel != "." {
		args = append(args, "--", rel)
	}
	list, err := git(ctx, repo, nil, args...)
	if err != nil {
		return nil, err
	}
	entries := parseLsTree(list)
	if len(entries) == 0 {
		return nil, fmt.Errorf("no such path %q in revision %s (%s)", rel, ref, short(commit))
	}
	root, err := os.MkdirTemp("", "flowctl-diff-")
	if err != nil {
		return nil, err
	}
	v := &Version{Label: spec, Path: filepath.Join(root, filepath.FromSlash(rel)),
		root: root, prefix: GitPrefix + ref + ":", commit: commit, repo: repo}
	if err := v.extract(ctx, entries); err != nil {
		v.Close()
		return nil, err
	}
	if err := v.fetchLookups(ctx); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// treeEntry is one line of git ls-tree.
type treeEntry struct {
	mode, typ, object, path string
}

func parseLsTree(out []byte) []treeEntry {
	var entries []treeEntry
	for _, rec := range bytes.Split(out, []byte{0}) {
		meta, p, ok := bytes.Cut(rec, []byte{'\t'})
		if !ok {
			continue
		}
		f := strings.Fields(string(meta))
		if len(f) != 3 {
			continue
		}
		entries = append(entries, treeEntry{mode: f[0], typ: f[1], object: f[2], path: string(p)})
	}
	return entries
}

// extract writes the blobs of entries below v.root with one git cat-file
// --batch. Submodules are skipped; symlinks are kept only when they point
// inside the materialised tree.
func (v *Version) extract(ctx context.Context, entries []treeEntry) error {
	var blobs []treeEntry
	var req bytes.Buffer
	for _, e := range entries {
		if e.typ != "blob" {
			continue
		}
		blobs = append(blobs, e)
		req.WriteString(e.object + "\n")
	}
	if len(blobs) == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, "git", "-C", v.repo, "cat-file", "--batch")
	cmd.Stdin = &req
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	r := bufio.NewReader(stdout)
	var extractErr error
	for _, e := range blobs {
		data, err := readBatchObject(r)
		if err != nil {
			extractErr = fmt.Errorf("git cat-file %s: %w", e.path, err)
			break
		}
		if err := v.writeEntry(e, data); err != nil {
			extractErr = err
			break
		}
	}
	io.Copy(io.Discard, r)
	if err := cmd.Wait(); err != nil && extractErr == nil {
		extractErr = fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return extractErr
}

// readBatchObject reads one "<oid> <type> <size>\n<content>\n" answer.
func readBatchObject(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	f := strings.Fields(head)
	if len(f) != 3 {
		return nil, fmt.Errorf("unexpected answer %q", strings.TrimSpace(head))
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		return nil, fmt.Errorf("unexpected answer %q", strings.TrimSpace(head))
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	if _, err := r.ReadByte(); err != nil { // the trailing newline
		return nil, err
	}
	return data, nil
}

// inside returns where a repository path goes below root, or false when it
// would leave it.
func (v *Version) inside(repoPath string) (string, bool) {
	clean := path.Clean("/" + filepath.ToSlash(repoPath))
	if clean == "/" {
		return "", false
	}
	return filepath.Join(v.root, filepath.FromSlash(clean[1:])), true
}

func (v *Version) writeEntry(e treeEntry, data []byte) error {
	dst, ok := v.inside(e.path)
	if !ok {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch e.mode {
	case "120000":
		target := string(data)
		resolved := target
		if !filepath.IsAbs(resolved) {
			resolved = filepath.Join(filepath.Dir(dst), resolved)
		}
		if r, err := filepath.Rel(v.root, resolved); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return nil // points outside the committed tree: left out
		}
		return os.Symlink(target, dst)
	case "100755":
		return os.WriteFile(dst, data, 0o755)
	}
	return os.WriteFile(dst, data, 0o644)
}

// fetchLookups brings the lookup CSV files the configuration references
// outside the materialised path (e.g. "../shared/zones.csv") from the same
// commit. Files not in the commit are left missing: compiling reports them.
func (v *Version) fetchLookups(ctx context.Context) error {
	units, err := dsl.Discover([]string{v.Path})
	if err != nil {
		return nil // Compile reports it
	}
	for _, u := range units {
		cfg, _ := dsl.LoadFiles(u.Files)
		if cfg == nil {
			continue
		}
		for _, l := range cfg.Lookups {
			if l.File == "" || filepath.IsAbs(l.File) {
				continue
			}
			p := filepath.Join(l.Dir, l.File)
			if _, err := os.Lstat(p); err == nil {
				continue
			}
			rel, err := filepath.Rel(v.root, p)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
			data, err := git(ctx, v.repo, nil, "cat-file", "blob", v.commit+":"+filepath.ToSlash(rel))
			if err != nil {
				continue
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// git runs git (in dir when set) and returns its stdout; a failure carries
// git's own message.
func git(ctx context.Context, dir string, stdin io.Reader, args ...string) ([]byte, error) {
	full := append([]string{"--literal-pathspecs"}, args...)
	if dir != "" {
		full = append([]string{"-C", dir}, full...)
	}
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("git %s: %v", args[0], err)
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.Bytes(), nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
