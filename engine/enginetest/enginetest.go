// Package enginetest is the connector conformance suite: the same checks
// run against every connector through the engine, with each connector's
// test supplying a Harness for its real (or protocol-faithful test)
// system on loopback.
package enginetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
)

// Harness describes one connector under test.
type Harness struct {
	// Config is a flow configuration with a flow named "conf". When the
	// harness tests a source, the flow reads from it; when it tests a
	// target, its target "out" writes to it (records come from --input).
	Config string
	// BadConfig is the same configuration with a mistake; lint must report
	// an error containing BadConfigError.
	BadConfig      string
	BadConfigError string

	// Source tests: Seed puts n records {"n": i} (i from 1) into the
	// source system; AfterRun checks what the source did with them once
	// every message was acknowledged (archived a file, moved a cursor).
	Seed     func(t *testing.T, n int)
	AfterRun func(t *testing.T)

	// Target tests: Written returns the "n" values the system received, in
	// order; FailNext makes the next k writes fail, retryably or not.
	Written  func(t *testing.T) []int
	FailNext func(t *testing.T, k int, retryable bool)
}

func compile(t *testing.T, src string) (*engine.Plan, error) {
	t.Helper()
	cfg, diags := dsl.Load([]string{"conf.hcl"}, map[string][]byte{"conf.hcl": []byte(src)})
	if !diags.HasErrors() {
		plan, cd := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun})
		diags = append(diags, cd...)
		if !diags.HasErrors() {
			return plan, nil
		}
	}
	return nil, diags
}

type records struct {
	n, i int
}

func (r *records) Next() (*engine.Message, bool, error) {
	if r.i >= r.n {
		return nil, false, nil
	}
	r.i++
	return &engine.Message{Line: r.i, Record: map[string]any{"n": r.i, "name": fmt.Sprintf("rec-%d", r.i)}}, true, nil
}
func (r *records) Close() error { return nil }

func run(t *testing.T, ctx context.Context, plan *engine.Plan, in engine.RecordReader) (*engine.Summary, string, error) {
	var rejects bytes.Buffer
	sum, err := engine.Run(ctx, plan, plan.Flows[0], engine.RunOptions{Input: in, Rejects: &rejects, Workers: 2})
	return sum, rejects.String(), err
}

// Run runs the conformance checks that apply to h.
func Run(t *testing.T, h Harness) {
	t.Run("config", func(t *testing.T) {
		if _, err := compile(t, h.Config); err != nil {
			t.Fatalf("valid configuration: %v", err)
		}
		if h.BadConfig != "" {
			_, err := compile(t, h.BadConfig)
			if err == nil || !strings.Contains(err.Error(), h.BadConfigError) {
				t.Fatalf("bad configuration: got %v, want an error containing %q", err, h.BadConfigError)
			}
		}
	})
	if h.Seed != nil {
		t.Run("read-and-ack", func(t *testing.T) {
			plan, err := compile(t, h.Config)
			if err != nil {
				t.Fatal(err)
			}
			h.Seed(t, 5)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sum, rejects, err := run(t, ctx, plan, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Records != 5 || sum.Delivered != 5 {
				t.Fatalf("summary %+v, rejects %s", sum, rejects)
			}
			if h.AfterRun != nil {
				h.AfterRun(t)
			}
		})
	}
	if h.Written != nil {
		t.Run("write", func(t *testing.T) {
			plan, err := compile(t, h.Config)
			if err != nil {
				t.Fatal(err)
			}
			before := len(h.Written(t))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sum, rejects, err := run(t, ctx, plan, &records{n: 3})
			if err != nil || sum.Delivered != 3 {
				t.Fatalf("run: %v %+v %s", err, sum, rejects)
			}
			if got := h.Written(t)[before:]; fmt.Sprint(got) != "[1 2 3]" {
				t.Fatalf("written %v, want [1 2 3]", got)
			}
		})
	}
	if h.FailNext != nil {
		t.Run("retryable-errors-are-retried", func(t *testing.T) {
			plan, err := compile(t, h.Config)
			if err != nil {
				t.Fatal(err)
			}
			before := len(h.Written(t))
			h.FailNext(t, 1, true)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sum, rejects, err := run(t, ctx, plan, &records{n: 2})
			if err != nil || sum.Delivered != 2 || sum.Rejected != 0 {
				t.Fatalf("run: %v %+v %s", err, sum, rejects)
			}
			if got := h.Written(t)[before:]; fmt.Sprint(got) != "[1 2]" {
				t.Fatalf("written %v, want [1 2]", got)
			}
		})
		t.Run("permanent-errors-reject", func(t *testing.T) {
			plan, err := compile(t, h.Config)
			if err != nil {
				t.Fatal(err)
			}
			h.FailNext(t, 1, false)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sum, rejects, err := run(t, ctx, plan, &records{n: 2})
			if err != nil || sum.Rejected != 1 || sum.Delivered != 1 {
				t.Fatalf("run: %v %+v", err, sum)
			}
			if !strings.Contains(rejects, `"rule":"target.out"`) {
				t.Fatalf("rejects: %s", rejects)
			}
		})
	}
	t.Run("cancellation", func(t *testing.T) {
		plan, err := compile(t, h.Config)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan error, 1)
		go func() {
			_, _, err := run(t, ctx, plan, &records{n: 1 << 30})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Logf("cancelled run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a cancelled run did not stop")
		}
	})
}
