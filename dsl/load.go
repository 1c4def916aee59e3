package dsl

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FileSuffix is the extension of flow files. Flow tests (*.flowtest.hcl)
// share it but are not part of a configuration.
const (
	FileSuffix     = ".hcl"
	TestFileSuffix = ".flowtest.hcl"
)

// Unit is one configuration to load: a directory's flow files, or a single
// file named on the command line.
type Unit struct {
	Dir   string
	Files []string
}

// Discover expands paths into configuration units. A directory is searched
// recursively; each directory holding flow files is one unit (hidden
// directories and those starting with _ are skipped). A file path is a unit
// of its own.
func Discover(paths []string) ([]Unit, error) {
	var units []Unit
	seen := map[string]bool{}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, unwrapPathErr(err))
		}
		if !info.IsDir() {
			if !seen[p] {
				seen[p] = true
				units = append(units, Unit{Dir: filepath.Dir(p), Files: []string{p}})
			}
			continue
		}
		byDir := map[string][]string{}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if path != p && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					return filepath.SkipDir
				}
				return nil
			}
			if IsFlowFile(name) && !seen[path] {
				seen[path] = true
				byDir[filepath.Dir(path)] = append(byDir[filepath.Dir(path)], path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		dirs := make([]string, 0, len(byDir))
		for d := range byDir {
			dirs = append(dirs, d)
		}
		sort.Strings(dirs)
		for _, d := range dirs {
			files := byDir[d]
			sort.Strings(files)
			units = append(units, Unit{Dir: d, Files: files})
		}
	}
	return units, nil
}

// IsFlowFile reports whether a file name is a flow file (not a flow test).
func IsFlowFile(name string) bool {
	return strings.HasSuffix(name, FileSuffix) && !strings.HasSuffix(name, TestFileSuffix)
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// LoadFiles reads and decodes the given files as one configuration.
func LoadFiles(files []string) (*Config, hcl.Diagnostics) {
	srcs := make(map[string][]byte, len(files))
	var diags hcl.Diagnostics
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Extra: CodeSyntax,
				Summary: "Cannot read flow file", Detail: fmt.Sprintf("%s: %v", f, unwrapPathErr(err)),
				Subject: &hcl.Range{Filename: f, Start: hcl.InitialPos, End: hcl.InitialPos}})
			continue
		}
		srcs[f] = b
		names = append(names, f)
	}
	cfg, d := Load(names, srcs)
	return cfg, append(diags, d...)
}

// Load decodes in-memory sources (name → bytes) as one configuration, in the
// order of names. Diagnostics are collected across all files.
func Load(names []string, sources map[string][]byte) (*Config, hcl.Diagnostics) {
	cfg := &Config{Files: map[string]*hcl.File{}, Sources: sources, Order: names}
	var diags hcl.Diagnostics
	d := &decoder{cfg: cfg, seen: map[string]hcl.Range{}}
	for _, name := range names {
		src := sources[name]
		if !utf8.Valid(src) {
			off := invalidUTF8Offset(src)
			p := posAt(src, off)
			diags = append(diags, Errorf(CodeSyntax, hcl.Range{Filename: name, Start: p, End: p},
				"Invalid UTF-8", "%s is not valid UTF-8 text (first bad byte at offset %d). Flow files must be UTF-8 encoded.", name, off))
			continue
		}
		src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
		sources[name] = src // keep snippets aligned with the parsed bytes
		file, pd := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		diags = append(diags, WithCode(pd, CodeSyntax)...)
		if file == nil || file.Body == nil {
			continue
		}
		cfg.Files[name] = file
		// A file with syntax errors is still decoded where HCL recovered, so
		// one run shows as many problems as possible.
		body := file.Body.(*hclsyntax.Body)
		if len(body.Attributes) == 0 && len(body.Blocks) == 0 && !pd.HasErrors() {
			diags = append(diags, Warnf(CodeEmpty, hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
				"Empty flow file", "%s declares nothing.", name))
			continue
		}
		d.src = file.Bytes
		d.broken = pd.HasErrors()
		diags = append(diags, d.file(body)...)
	}
	return cfg, diags
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}
