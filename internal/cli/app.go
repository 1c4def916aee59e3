// Package cli holds flowctl's commands: one file per command. It is the one
// place that renders diagnostics and output formats.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	// Every command needs the built-in connectors' specs.
	_ "github.com/flowctl/flowctl/connectors/all"
)

// Version is set at build time with -ldflags.
var Version = "dev"

// Exit codes shared by every command.
const (
	ExitOK       = 0
	ExitFindings = 1 // lint errors, rejected records, files that would change
	ExitUsage    = 2 // usage, configuration or I/O error
)

// exitError carries an exit code through urfave/cli without printing twice.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exitf(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// silentExit ends a command with a code after it printed its own output.
func silentExit(code int) error { return &exitError{code: code} }

// commands is filled by each command file's init.
var commands []*cli.Command

func register(c *cli.Command) { commands = append(commands, c) }

// NewApp builds the flowctl application.
func NewApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:                 "flowctl",
		Usage:                "compile, check and run logistics integration flows",
		Version:              Version,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		Commands:             commands,
		EnableBashCompletion: true,
		// Exit codes are decided in Main, never by os.Exit deep inside.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	return app
}

// Main runs flowctl with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := NewApp(stdin, stdout, stderr)
	app.OnUsageError = func(c *cli.Context, err error, _ bool) error {
		return exitf(ExitUsage, "%v", err)
	}
	err := app.Run(args)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "flowctl: %s\n", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "flowctl: %v\n", err)
	return ExitUsage
}

// isTerminal reports whether w is a terminal that should get colour.
func wantColor(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isTerminal(f.Fd())
}
