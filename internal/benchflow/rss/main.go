// Command rss measures flowctl's memory while streaming a large input: it
// generates SIZE bytes of order records on the fly (never stored), pipes
// them into `flowctl run --input -` with the benchmark flow, and prints the
// child's peak RSS and throughput. Used by make bench (docs/performance.md).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/flowctl/flowctl/internal/benchflow"
)

func main() {
	bin := flag.String("flowctl", "bin/flowctl", "flowctl binary")
	sizeMB := flag.Int("size-mb", 1024, "input size in MiB")
	flag.Parse()
	if err := run(*bin, int64(*sizeMB)<<20); err != nil {
		fmt.Fprintln(os.Stderr, "rss:", err)
		os.Exit(1)
	}
}

func run(bin string, size int64) error {
	dir, err := os.MkdirTemp("", "flowctl-rss")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "flow.hcl"), []byte(benchflow.Flow), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(bin, "run", "--input", "-", "--rejects-dir", dir, dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	r := rand.New(rand.NewSource(1))
	var written int64
	n := 0
	buf := make([]byte, 0, 1024)
	for written < size {
		buf = benchflow.AppendRecord(buf[:0], r, n)
		if _, err := w.Write(buf); err != nil {
			return err
		}
		written += int64(len(buf))
		n++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	stdin.Close()
	err = cmd.Wait()
	elapsed := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		err = nil // exit 1: some records rejected (the generator makes ~2% drafts)
	}
	if err != nil {
		return err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Printf("streamed %d MiB (%d records) through flowctl run in %.1fs: %.0f records/s, peak RSS %.1f MiB\n",
		written>>20, n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), float64(ru.Maxrss)/1024)
	return nil
}
