// Command flowctl compiles and runs integration flows written in HCL.
package main

import (
	"os"

	"github.com/flowctl/flowctl/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
