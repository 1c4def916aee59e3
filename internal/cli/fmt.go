package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/urfave/cli/v2"

	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/flowctl/flowctl/internal/hclfmt"
)

func init() {
	register(&cli.Command{
		Name:      "fmt",
		Usage:     "rewrite flow files in the canonical HCL layout",
		UsageText: "flowctl fmt [--check] [--diff] [PATH...]",
		Description: `Formats every *.hcl file under each PATH (default: the current directory),
skipping hidden files and directories. A file named explicitly is formatted
whatever its extension. Without flags, each file that changes is rewritten in
place and its name printed. A file with syntax errors is left untouched and
its errors are printed.

Flags go before the paths.

Exit status: 0 when done (or nothing to change), 1 with --check when a file
is not formatted, 2 on syntax errors, a missing path or no .hcl files.

Examples:
   flowctl fmt                       format every flow below the current directory
   flowctl fmt flows/ examples/      format two trees
   flowctl fmt --check flows/        in CI: list unformatted files, exit 1 if any
   flowctl fmt --diff flows/a.hcl    show what formatting would change`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "check", Usage: "write nothing; list files that would change and exit 1 if any"},
			&cli.BoolFlag{Name: "diff", Aliases: []string{"d"}, Usage: "write nothing; print a unified diff of each file that would change"},
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return exitf(ExitUsage, "fmt: %v (see flowctl fmt --help)", err)
		},
		Action: runFmt,
	})
}

func runFmt(c *cli.Context) error {
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	check, diff := c.Bool("check"), c.Bool("diff")

	paths := c.Args().Slice()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	// urfave/cli stops parsing flags at the first path, so "fmt dir --check"
	// would silently format dir; refuse rather than write files.
	for _, p := range paths {
		if strings.HasPrefix(p, "-") {
			if _, err := os.Lstat(p); err != nil {
				return exitf(ExitUsage, "fmt: flag %s must come before the paths", p)
			}
		}
	}
	files, err := hclfmt.Files(paths)
	if err != nil {
		return exitf(ExitUsage, "fmt: %v", err)
	}
	if len(files) == 0 {
		return exitf(ExitUsage, "fmt: no .hcl files found in %s", strings.Join(paths, ", "))
	}

	var (
		syntax     hcl.Diagnostics
		sources    = map[string][]byte{}
		badFiles   int
		ioFailed   bool
		anyChanged bool
	)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "flowctl: %v\n", err)
			ioFailed = true
			continue
		}
		out, diags := hclfmt.Format(f, src)
		if diags.HasErrors() {
			syntax = append(syntax, diags...)
			sources[f] = src
			badFiles++
			continue
		}
		if bytes.Equal(out, src) {
			continue
		}
		anyChanged = true
		switch {
		case diff:
			fmt.Fprint(stdout, hclfmt.UnifiedDiff(f, src, out))
		case check:
			fmt.Fprintln(stdout, f)
		default:
			if err := replaceFile(f, out); err != nil {
				fmt.Fprintf(stderr, "flowctl: %v\n", err)
				ioFailed = true
				continue
			}
			fmt.Fprintln(stdout, f)
		}
	}

	// Diagnostics go out together so that they end with a single count.
	if len(syntax) > 0 {
		if err := diagfmt.Text(stderr, syntax, sources, diagfmt.Options{Color: wantColor(stderr)}); err != nil {
			return exitf(ExitUsage, "fmt: %v", err)
		}
		if badFiles == 1 {
			return exitf(ExitUsage, "fmt: 1 file has syntax errors and was left unchanged")
		}
		return exitf(ExitUsage, "fmt: %d files have syntax errors and were left unchanged", badFiles)
	}
	if ioFailed {
		return silentExit(ExitUsage)
	}
	if check && anyChanged {
		return silentExit(ExitFindings)
	}
	return nil
}

// replaceFile writes data over path through a temporary file and a rename,
// so that a failed write (disk full, interrupt) never leaves a half-written
// flow behind. A symlink is resolved first so the link itself survives, and
// the file keeps its permission bits.
func replaceFile(path string, data []byte) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(real)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".fmt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), real)
}
