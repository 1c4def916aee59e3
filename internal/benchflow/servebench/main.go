// Command servebench prints the durable serve figures of make bench
// (docs/performance.md): the benchmark flow (internal/benchflow/serveflow)
// under engine.Run with no journal and under serve on embedded JetStream,
// in the same run, writing to an NDJSON file (the main figure) and to an
// HTTP endpoint on loopback; then end-to-end latency (offered → settled,
// exact per message) with the feed paced at a fixed rate.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/flowctl/flowctl/internal/benchflow/serveflow"
)

func main() {
	n := flag.Int("n", 100_000, "messages for the throughput figures (file target)")
	httpN := flag.Int("http-n", 20_000, "messages for the HTTP target line (0: skip)")
	rate := flag.Float64("rate", 1000, "paced rate for the latency figure, msgs/s")
	paced := flag.Duration("paced", 10*time.Second, "how long the paced run lasts (0: skip)")
	workers := flag.Int("workers", 0, "serve workers per flow (0: serve's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the durable throughput run (file target) here")
	pacedProfile := flag.String("paced-cpuprofile", "", "write a CPU profile of the paced run here")
	syncAlways := flag.Bool("sync-always", false, "fsync every write, as serve --sync-always does")
	flag.Parse()
	if err := run(*n, *httpN, *rate, *paced, *workers, *cpuprofile, *pacedProfile, *syncAlways); err != nil {
		fmt.Fprintln(os.Stderr, "servebench:", err)
		os.Exit(1)
	}
}

func run(n, httpN int, rate float64, paced time.Duration, workers int, cpuprofile, pacedProfile string, syncAlways bool) error {
	ctx := context.Background()
	fmt.Printf("Durable serve (embedded JetStream), GOMAXPROCS=%d, flow: 3 validations, 14 mapped fields, idempotency key:\n", runtime.GOMAXPROCS(0))

	line := func(target string, count int, prof string) error {
		var ht *serveflow.HTTPTarget
		if target == "http" {
			ht = serveflow.StartHTTPTarget()
			defer ht.Close()
		}
		runRes, err := serveflow.Run(ctx, target, ht, count)
		if err != nil {
			return fmt.Errorf("run, %s target: %w", target, err)
		}
		o := serveflow.DurableOptions{Target: target, HTTP: ht, N: count, Workers: workers, SyncAlways: syncAlways}
		o.Profile = profiler(prof)
		dur, err := serveflow.Durable(ctx, o)
		if err != nil {
			return fmt.Errorf("serve, %s target: %w", target, err)
		}
		fmt.Printf("  %-5s target, N=%d:\n", target, count)
		fmt.Printf("    flowctl run (no journal): %8.0f msgs/s  %6.1f µs CPU/msg\n", runRes.Rate(), us(runRes.CPUPerMsg()))
		fmt.Printf("    serve (durable):          %8.0f msgs/s  %6.1f µs CPU/msg  ratio durable/run %.3f\n", dur.Rate(), us(dur.CPUPerMsg()), dur.Rate()/runRes.Rate())
		fmt.Printf("    intake (offered → journaled, source acked): %.0f msgs/s\n", float64(count)/dur.Intake.Seconds())
		fmt.Printf("    latency under full load:  p50 %s  p99 %s  max %s; longest pause between settles %s\n", ms(dur.Percentile(.50)), ms(dur.Percentile(.99)), ms(dur.Percentile(1)), ms(dur.Stall))
		return nil
	}
	if err := line("file", n, cpuprofile); err != nil {
		return err
	}
	if httpN > 0 {
		if err := line("http", httpN, ""); err != nil {
			return err
		}
	}
	if paced > 0 {
		count := int(rate * paced.Seconds())
		res, err := serveflow.Durable(ctx, serveflow.DurableOptions{Target: "file", N: count, Rate: rate, Workers: workers, Profile: profiler(pacedProfile), SyncAlways: syncAlways})
		if err != nil {
			return fmt.Errorf("paced: %w", err)
		}
		fmt.Printf("  paced at %.0f msgs/s for %s (file target, N=%d): achieved %.0f msgs/s, %.1f µs CPU/msg\n", rate, paced, count, res.Rate(), us(res.CPUPerMsg()))
		fmt.Printf("    end-to-end latency (offered → settled): p50 %s  p90 %s  p99 %s  p99.9 %s  max %s", ms(res.Percentile(.50)), ms(res.Percentile(.90)), ms(res.Percentile(.99)), ms(res.Percentile(.999)), ms(res.Percentile(1)))
		if res.Behind > 5*time.Millisecond {
			fmt.Printf("  (feed fell behind its schedule by up to %s; counted in the latency)", ms(res.Behind))
		}
		fmt.Println()
	}
	return nil
}

// profiler returns a DurableOptions.Profile writing a CPU profile to path
// (nil when path is "").
func profiler(path string) func() func() {
	if path == "" {
		return nil
	}
	return func() func() {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "servebench:", err)
			return func() {}
		}
		pprof.StartCPUProfile(f)
		return func() { pprof.StopCPUProfile(); f.Close() }
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func ms(d time.Duration) string {
	s := fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	return strings.Replace(s, ".00 ms", " ms", 1)
}
