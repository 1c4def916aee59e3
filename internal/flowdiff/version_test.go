package flowdiff

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/engine"
)

func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const lookupFlow = `
lookup "zones" {
  file = "../shared/zones.csv"
  key  = "zip"
}

lookup "carriers" {
  file = "carriers.csv"
  key  = "code"
}

flow "orders" {
  source "file" {
    path = "orders.ndjson"
  }
  map "job" {
    zone    = "lookup('zones', record.zip).zone"
    carrier = "lookup('carriers', record.carrier).name"
  }
  target "stdout" "out" {}
}
`

// gitRepo makes a repository with a committed configuration in flows/ that
// reads a lookup from shared/, then changes the working tree.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("HOME", t.TempDir())
	repo := t.TempDir()
	runGit(t, repo, "init", "-q")
	runGit(t, repo, "config", "user.name", "Test")
	runGit(t, repo, "config", "user.email", "test@example.com")
	writeFile(t, filepath.Join(repo, "flows", "main.hcl"), lookupFlow)
	writeFile(t, filepath.Join(repo, "flows", "carriers.csv"), "code,name\nDHL,DHL Express\n")
	writeFile(t, filepath.Join(repo, "shared", "zones.csv"), "zip,zone\n1000,A\n")
	writeFile(t, filepath.Join(repo, "other", "x.hcl"), "# not part of flows\n")
	runGit(t, repo, "add", ".")
	runGit(t, repo, "commit", "-q", "-m", "first")
	writeFile(t, filepath.Join(repo, "flows", "main.hcl"), "# changed\n"+lookupFlow)
	writeFile(t, filepath.Join(repo, "shared", "zones.csv"), "zip,zone\n1000,B\n")
	return repo
}

func TestOpenGit(t *testing.T) {
	repo := gitRepo(t)
	t.Chdir(filepath.Join(repo, "other")) // any directory of the repository
	ctx := context.Background()
	v, err := Open(ctx, "git:HEAD:flows")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Label != "git:HEAD:flows" || len(v.Commit()) != 40 {
		t.Errorf("label %q, commit %q", v.Label, v.Commit())
	}
	main, err := os.ReadFile(filepath.Join(v.Path, "main.hcl"))
	if err != nil || strings.HasPrefix(string(main), "# changed") {
		t.Errorf("main.hcl is not the committed version: %q, %v", main, err)
	}
	// The lookup outside flows/ came along, in its committed version.
	zones, err := os.ReadFile(filepath.Join(v.Path, "..", "shared", "zones.csv"))
	if err != nil || !strings.Contains(string(zones), "1000,A") {
		t.Errorf("shared/zones.csv: %q, %v", zones, err)
	}
	if _, err := os.Stat(filepath.Join(v.Path, "..", "other")); err == nil {
		t.Error("other/ was materialised too")
	}
	comp, err := v.Compile(engine.Options{Mode: engine.ModeRun, SecretsOptional: true})
	if err != nil {
		t.Fatal(err)
	}
	if comp.Plan == nil {
		t.Fatalf("compile: %s", comp.Diags.Error())
	}
	if got := v.Relabel(filepath.Join(v.Path, "main.hcl") + ":3:5"); got != "git:HEAD:flows/main.hcl:3:5" {
		t.Errorf("Relabel = %q", got)
	}
	root := v.root
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind", root)
	}
}

func TestOpenGitCompileErrorsAreRelabelled(t *testing.T) {
	repo := gitRepo(t)
	runGit(t, repo, "rm", "-q", "flows/carriers.csv")
	runGit(t, repo, "commit", "-q", "-m", "drop carriers")
	t.Chdir(repo)
	v, err := Open(context.Background(), "git:HEAD:flows")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	comp, err := v.Compile(engine.Options{Mode: engine.ModeRun, SecretsOptional: true})
	if err != nil {
		t.Fatal(err)
	}
	if comp.Plan != nil || !comp.Diags.HasErrors() {
		t.Fatal("want a compile error for the missing lookup file")
	}
	for _, d := range comp.Diags {
		if d.Subject != nil && !strings.HasPrefix(d.Subject.Filename, "git:HEAD:flows/") {
			t.Errorf("diagnostic names %q", d.Subject.Filename)
		}
		if strings.Contains(d.Detail, os.TempDir()) {
			t.Errorf("detail shows the temporary path: %s", d.Detail)
		}
	}
	if _, ok := comp.Sources["git:HEAD:flows/main.hcl"]; !ok {
		t.Errorf("sources are not relabelled: %v", len(comp.Sources))
	}
	if !strings.Contains(comp.Diags.Error(), "git:HEAD:flows/carriers.csv") {
		t.Errorf("diagnostics: %s", comp.Diags.Error())
	}
}

func TestOpenErrors(t *testing.T) {
	repo := gitRepo(t)
	t.Chdir(repo)
	ctx := context.Background()
	for spec, want := range map[string]string{
		"git:nosuchref:flows": `unknown git revision "nosuchref"`,
		"git:HEAD:nope":       `no such path "nope" in revision HEAD`,
		"git:HEAD:../x":       "must be relative to the repository root",
		"git:HEAD":            "want git:REF:PATH",
		"git::flows":          "want git:REF:PATH",
		"git:--help:flows":    "invalid git revision",
		"missing-dir":         "missing-dir: no such file or directory",
	} {
		v, err := Open(ctx, spec)
		if err == nil {
			v.Close()
			t.Errorf("Open(%q): no error", spec)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want %q", spec, err, want)
		}
	}
	t.Chdir(t.TempDir())
	if _, err := Open(ctx, "git:HEAD:flows"); err == nil || !strings.Contains(err.Error(), "not inside a git repository") {
		t.Errorf("outside a repository: %v", err)
	}
}
