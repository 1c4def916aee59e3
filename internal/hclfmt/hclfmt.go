// Package hclfmt gives flow files their canonical layout, finds the files to
// format and shows what formatting would change.
package hclfmt

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns the canonical form of src: hclwrite.Format's layout, and a
// file that ends in exactly one newline (none if it is empty). Source with
// syntax errors is not formatted: hclwrite works on tokens and would
// happily realign a broken file into something misleading. Its errors are
// returned instead, with filename in their ranges.
func Format(filename string, src []byte) ([]byte, hcl.Diagnostics) {
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return normalizeEOF(hclwrite.Format(src)), nil
}

// normalizeEOF trims trailing blank lines and adds a missing final newline,
// keeping the file's own newline style (hclwrite keeps CRLF as it is).
func normalizeEOF(b []byte) []byte {
	nl := []byte("\n")
	if bytes.Contains(b, []byte("\r\n")) {
		nl = []byte("\r\n")
	}
	b = bytes.TrimRight(b, " \t\r\n")
	if len(b) == 0 {
		return []byte{}
	}
	return append(b, nl...)
}

// Files expands paths into the sorted, duplicate-free list of files to
// format. A directory contributes every *.hcl file below it, except in
// hidden directories (.git, .flowctl, …) and hidden files (editor lock and
// swap files). A path naming a file is taken whatever its extension, since
// the user asked for it by name. A path that does not exist is an error.
func Files(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, pathError(root, err)
		}
		if !info.IsDir() {
			add(filepath.Clean(root))
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return pathError(p, err)
			}
			hidden := p != root && strings.HasPrefix(d.Name(), ".")
			if d.IsDir() {
				if hidden {
					return filepath.SkipDir
				}
				return nil
			}
			// Symlinks are followed when read; devices, pipes and sockets
			// are never flow files.
			if hidden || filepath.Ext(p) != ".hcl" || !(d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0) {
				return nil
			}
			add(p)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// pathError words a file system error for a person: "x: no such file or
// directory" rather than "stat x: no such file or directory".
func pathError(p string, err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", p, err)
}
