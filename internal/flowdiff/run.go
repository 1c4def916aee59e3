package flowdiff

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// Side is one compiled version of the flow to compare.
type Side struct {
	Label   string // as given, e.g. "flows" or "git:HEAD:flows"
	Commit  string // commit of a git version, "" otherwise
	Plan    *engine.Plan
	Flow    *engine.FlowPlan
	Relabel func(string) string // rewrites file names in locations; may be nil
}

// Options configure Run.
type Options struct {
	// Open opens the input records; it is called once per side, so both
	// versions read the same records.
	Open func() (engine.RecordReader, error)
	// Workers per side (0: the number of CPUs).
	Workers int
	// OnRecord, when set, sees each differing record in input order as soon
	// as it is compared, and the report does not keep them (Records stays
	// empty; the counts are kept): memory stays flat however many records
	// differ. d is only valid during the call. An error stops the diff.
	OnRecord func(d *RecordDiff) error
	// Now is the meta.received_at of every record (both sides see the same
	// time, so it does not show as a difference); zero means time.Now().
	Now time.Time
}

// ChooseFlow picks the flow to compare: the one named (it must be in both
// versions), else the only flow of each version, else the one flow name
// the two versions share.
func ChooseFlow(base, head *engine.Plan, name string) (*engine.FlowPlan, *engine.FlowPlan, error) {
	find := func(p *engine.Plan, n string) *engine.FlowPlan {
		for _, f := range p.Flows {
			if f.Name == n {
				return f
			}
		}
		return nil
	}
	if name != "" {
		b, h := find(base, name), find(head, name)
		switch {
		case b == nil && h == nil:
			return nil, nil, fmt.Errorf("no flow %q in base or head; flows: %s", name, strings.Join(allNames(base, head), ", "))
		case b == nil:
			return nil, nil, fmt.Errorf("no flow %q in base (it has: %s)", name, strings.Join(names(base), ", "))
		case h == nil:
			return nil, nil, fmt.Errorf("no flow %q in head (it has: %s)", name, strings.Join(names(head), ", "))
		}
		return b, h, nil
	}
	if len(base.Flows) == 1 && len(head.Flows) == 1 {
		return base.Flows[0], head.Flows[0], nil
	}
	var common []string
	for _, f := range head.Flows {
		if find(base, f.Name) != nil {
			common = append(common, f.Name)
		}
	}
	sort.Strings(common)
	switch len(common) {
	case 1:
		return find(base, common[0]), find(head, common[0]), nil
	case 0:
		return nil, nil, fmt.Errorf("base and head share no flow name; name one with --flow (base: %s; head: %s)",
			strings.Join(names(base), ", "), strings.Join(names(head), ", "))
	}
	return nil, nil, fmt.Errorf("several flows to compare; name one with --flow: %s", strings.Join(common, ", "))
}

func names(p *engine.Plan) []string {
	var out []string
	for _, f := range p.Flows {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

func allNames(a, b *engine.Plan) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range append(names(a), names(b)...) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Run runs both versions as dry runs over the same input and compares
// them record by record. The two runs go side by side and results are
// compared as they come, so memory holds only the differences, however
// large the input.
func Run(ctx context.Context, base, head Side, opts Options) (*Report, error) {
	if opts.Open == nil {
		return nil, errors.New("flowdiff: no input")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	rep := NewReport()
	rep.Base, rep.Head = base.Label, head.Label
	rep.BaseCommit, rep.HeadCommit = base.Commit, head.Commit
	rep.Flow = head.Flow.Name
	if base.Flow.Name != head.Flow.Name {
		rep.BaseFlow = base.Flow.Name
	}

	inputs := make([]engine.RecordReader, 2)
	for i := range inputs {
		in, err := opts.Open()
		if err != nil {
			for _, o := range inputs[:i] {
				o.Close()
			}
			return nil, err
		}
		inputs[i] = in
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sides := []Side{base, head}
	chans := []chan Result{make(chan Result, 64), make(chan Result, 64)}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, s := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(chans[i])
			ch := chans[i]
			_, errs[i] = engine.Run(ctx, s.Plan, s.Flow, engine.RunOptions{
				DryRun: true, Workers: opts.Workers, Input: inputs[i],
				// Both versions see the same now() and meta.received_at.
				Now:     func() time.Time { return now },
				Context: &engine.RunContext{},
				OnResult: func(r *engine.Result) error {
					select {
					case ch <- ResultOf(r, s.Relabel):
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				},
			})
		}()
	}

	uneven := false
	var failure error
	for {
		b, okB := <-chans[0]
		h, okH := <-chans[1]
		if !okB || !okH {
			uneven = okB != okH
			break
		}
		if b.Seq != h.Seq {
			// Cannot happen: both read the same records in order.
			failure = fmt.Errorf("internal error: base record %d compared with head record %d", b.Seq, h.Seq)
			break
		}
		if d := rep.Add(b, h); d != nil && opts.OnRecord != nil {
			err := opts.OnRecord(d)
			rep.Records = rep.Records[:0]
			if err != nil {
				failure = err
				break
			}
		}
	}
	cancel()
	for _, ch := range chans {
		for range ch {
		}
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return nil, err
	}
	if failure != nil {
		return nil, failure
	}
	for i, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("running %s: %w", sides[i].Label, err)
		}
	}
	if uneven {
		return nil, errors.New("base and head read a different number of records")
	}
	return rep, nil
}
