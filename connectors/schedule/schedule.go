// Package schedule is the schedule connector: a source that emits one
// message per tick of a cron schedule, to start flows whose work is not
// triggered by incoming data (a nightly export, an hourly sync).
package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/robfig/cron/v3"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/zclconf/go-cty/cty"
)

// Record fields every tick has; payload cannot set them.
const (
	fieldScheduledAt = "scheduled_at"
	fieldTimezone    = "timezone"
)

func init() {
	engine.Register(&engine.Connector{
		Kind: "schedule",
		Doc:  "Time-driven flows: one message per tick of a cron schedule.",
		Source: &engine.SourceSpec{
			Doc: "Emits a message at every time of a cron schedule in a time zone, under `serve`. " +
				"The record is `{scheduled_at, timezone}` plus the payload's fields; `scheduled_at` is the tick's time (UTC), not the time the message was made. " +
				"A one-shot `flowctl run` (or `--dry-run`) emits one message for now, to show what a tick does. " +
				"Ticks missed while serve was not running are not replayed; a tick held up by back-pressure is delivered late, once, for the latest missed time. " +
				"Under serve each tick's message id is `schedule:<scheduled_at in Unix seconds>`, so a tick is journaled once.",
			Spec: engine.Spec{
				Fields: []engine.Field{
					{Name: "cron", Type: cty.String, Required: true, Check: checkCron,
						Doc: "Schedule: a standard 5-field cron expression (minute hour day-of-month month day-of-week) or a descriptor: `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`, `@every <duration>`.", Example: `"0 6 * * 1-5"`},
					{Name: "timezone", Type: cty.String, Default: cty.StringVal("UTC"), Check: checkZone,
						Doc: "IANA time zone the cron fields are read in. Daylight-saving changes follow the zone: a wall-clock time skipped by the spring change does not fire that day, one repeated by the autumn change fires twice (two ticks, an hour apart).", Example: `"Europe/Berlin"`},
					{Name: "payload", Type: cty.DynamicPseudoType,
						Doc: "Static object whose fields are added to every tick's record.", Example: `{ warehouse = "WH1", full = false }`},
				},
				Check: checkSpec,
			},
			RecordType: recordType,
			Open:       open,
			Watch:      watch,
		},
	})
}

// parser reads what checkCron accepts: five fields or a descriptor.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func checkCron(v cty.Value) error {
	if v.Type() != cty.String {
		return nil
	}
	if _, err := parser.Parse(v.AsString()); err != nil {
		return fmt.Errorf("%q is not a cron schedule: %v", v.AsString(), err)
	}
	return nil
}

func checkZone(v cty.Value) error {
	if v.Type() != cty.String {
		return nil
	}
	if _, err := time.LoadLocation(v.AsString()); err != nil || v.AsString() == "" || v.AsString() == "Local" {
		return fmt.Errorf("%q is not an IANA time zone name such as \"UTC\" or \"Europe/Berlin\"", v.AsString())
	}
	return nil
}

func checkSpec(v *engine.Values) []string {
	p := v.Cty("payload")
	if p == cty.NilVal || p.IsNull() || !p.IsKnown() {
		return nil
	}
	if !p.Type().IsObjectType() && !p.Type().IsMapType() {
		return []string{fmt.Sprintf("payload must be an object, not %s", p.Type().FriendlyName())}
	}
	for _, name := range []string{fieldScheduledAt, fieldTimezone} {
		if p.Type().IsObjectType() && p.Type().HasAttribute(name) {
			return []string{fmt.Sprintf("payload cannot set %s: every tick's record has it", name)}
		}
	}
	return nil
}

// recordType is {scheduled_at: time, timezone: string} and the payload's
// fields (typed any).
func recordType(v *engine.Values) *dsl.Type {
	t := dsl.ObjectOf(&dsl.Field{Name: fieldScheduledAt, Type: dsl.TimeType}, &dsl.Field{Name: fieldTimezone, Type: dsl.StringType})
	p := v.Cty("payload")
	if p != cty.NilVal && !p.IsNull() && p.IsWhollyKnown() && p.Type().IsObjectType() {
		for name := range p.Type().AttributeTypes() {
			if name != fieldScheduledAt && name != fieldTimezone {
				t.Fields = append(t.Fields, &dsl.Field{Name: name, Type: dsl.AnyType})
			}
		}
		// AttributeTypes is a map: keep the record type's order stable.
		sortFields(t.Fields[2:])
	}
	return t
}

// ticker is what a schedule source needs from its settings.
type ticker struct {
	sched   cron.Schedule
	loc     *time.Location
	zone    string
	payload map[string]any
	source  string // Message.Source: "schedule <cron>"
}

func newTicker(sp *engine.SourcePlan) (*ticker, error) {
	v := sp.Values
	expr := v.String("cron")
	sched, err := parser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("schedule source: cron %q: %v", expr, err)
	}
	zone := v.String("timezone")
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("schedule source: timezone %q: %v", zone, err)
	}
	t := &ticker{sched: sched, loc: loc, zone: zone, source: "schedule " + expr}
	if p := v.Cty("payload"); p != cty.NilVal && !p.IsNull() && p.IsWhollyKnown() {
		b, err := ctyjson.Marshal(p, p.Type())
		if err != nil {
			return nil, fmt.Errorf("schedule source: payload: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // as the file sources decode numbers
		if err := dec.Decode(&t.payload); err != nil {
			return nil, fmt.Errorf("schedule source: payload must be an object: %v", err)
		}
	}
	return t, nil
}

// message is the tick at (a time of the schedule), made at received.
func (t *ticker) message(at, received time.Time, seq int) *engine.Message {
	rec := make(map[string]any, len(t.payload)+2)
	for k, v := range t.payload {
		rec[k] = engine.CopyValue(v)
	}
	at = at.UTC()
	rec[fieldScheduledAt] = at
	rec[fieldTimezone] = t.zone
	return &engine.Message{Line: seq, Source: t.source, Record: rec, ReceivedAt: received.UTC(),
		ID: "schedule:" + strconv.FormatInt(at.Unix(), 10), Receipt: noReceipt{}}
}

// open is the one-shot source: one message for now.
func open(sp *engine.SourcePlan, _ *engine.RunContext) (engine.RecordReader, error) {
	t, err := newTicker(sp)
	if err != nil {
		return nil, err
	}
	return &onceReader{t: t, now: time.Now}, nil
}

type onceReader struct {
	t    *ticker
	now  func() time.Time
	done bool
}

func (r *onceReader) Next() (*engine.Message, bool, error) {
	if r.done {
		return nil, false, nil
	}
	r.done = true
	now := r.now()
	return r.t.message(now.Truncate(time.Second), now, 1), true, nil
}

func (r *onceReader) Close() error { return nil }

// noReceipt: a tick has nothing to let go of.
type noReceipt struct{}

func (noReceipt) Ack(context.Context) error         { return nil }
func (noReceipt) Nack(context.Context, error) error { return nil }

func sortFields(fs []*dsl.Field) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
}
