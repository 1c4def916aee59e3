package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/zclconf/go-cty/cty"
)

// Field describes one attribute of a connection, source or target body. The
// same description drives decoding, lint and the generated connector docs.
type Field struct {
	Name     string
	Doc      string
	Type     cty.Type  // static type; ignored for Expr and Ref fields
	Required bool      // must be set
	Secret   bool      // holds a credential: accepts secret() values
	Default  cty.Value // cty.NilVal when none
	OneOf    []string  // allowed values of a string field
	Expr     *dsl.Type // non-nil: an expr expression per record with this result type
	Ref      string    // "connection" or "schema": a static reference
	Example  string    // example value as written in a flow file
	// Check validates a known static value beyond its type (e.g. a duration).
	Check func(cty.Value) error
}

// Block describes a nested block in a body (e.g. retry {} in a connection).
type Block struct {
	Name  string
	Doc   string
	Spec  *Spec
	Multi bool // may repeat
}

// Spec is the set of fields and blocks a body accepts.
type Spec struct {
	Fields []Field
	Blocks []Block
	// Check validates the decoded body as a whole (fields that go together);
	// each returned message is an error at the block.
	Check func(v *Values) []string
}

// CheckDuration accepts Go durations such as "500ms", "30s", "2h".
func CheckDuration(v cty.Value) error {
	if v.Type() != cty.String {
		return nil
	}
	d, err := time.ParseDuration(v.AsString())
	if err != nil {
		return fmt.Errorf("%q is not a duration; write e.g. \"30s\", \"5m\" or \"1h30m\"", v.AsString())
	}
	if d <= 0 {
		return fmt.Errorf("duration must be positive")
	}
	return nil
}

// CheckPositive accepts numbers greater than zero.
func CheckPositive(v cty.Value) error {
	if v.Type() == cty.Number && v.AsBigFloat().Sign() <= 0 {
		return fmt.Errorf("must be greater than zero")
	}
	return nil
}

// SourceSpec describes a connector's source side.
type SourceSpec struct {
	Doc string
	Spec
	// RecordType returns the record type the source delivers when no schema
	// is declared (e.g. the fields an Odoo source asks for). nil → any.
	RecordType func(v *Values) *dsl.Type
	// Open starts reading for a one-shot run; nil when the kind only runs
	// under serve.
	Open func(sp *SourcePlan, rc *RunContext) (RecordReader, error)
	// Watch starts reading continuously under serve; nil when the kind
	// cannot be watched (see Webhook). The reader's Next blocks until a
	// message is ready and reports the end (ok false, nil error) once ctx
	// is done. Every message carries a Receipt: serve acknowledges it once
	// the message is journaled (durable), and only then may the source let
	// go of it (advance a cursor, archive a file). Serve may stop calling
	// Next for a while (back-pressure); the reader must not lose or time
	// out what it holds meanwhile.
	Watch func(ctx context.Context, sp *SourcePlan, wc *WatchContext) (RecordReader, error)
	// Webhook returns the handler of a push source and the path serve
	// mounts it at on its listener; accept journals one message and
	// returns once it is durable (a Retryable error means back-pressure).
	Webhook func(sp *SourcePlan, accept func(ctx context.Context, m *Message) error) (path string, h http.Handler)
}

// WatchContext is what serve gives a watching source.
type WatchContext struct {
	RunContext
	// State keeps the source's position across restarts (an Odoo cursor,
	// an HTTP cursor); nil when there is nowhere to keep it.
	State SourceState
	// Logger receives the source's own notes (polls, skipped files).
	Logger *slog.Logger
}

// SourceState persists a source's position. Save only what is journaled:
// a position saved past a message that is not, loses it on a crash.
type SourceState interface {
	// Load returns the saved position, nil when none was saved.
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, data []byte) error
}

// TargetSpec describes a connector's target side.
type TargetSpec struct {
	Doc string
	Spec
	// Dedupes reports whether writes with these settings are idempotent by
	// themselves (upsert by a unique field, overwrite of a named file); a
	// target that cannot dedupe needs an idempotency_key.
	Dedupes func(v *Values) bool
	// Operation describes what a write does, for dry runs and diffs
	// (e.g. "POST /v1/jobs", "upsert res.partner by ref"). nil → "write".
	Operation func(v *Values) string
	// Open prepares writing; nil when the kind cannot write yet.
	Open func(tp *TargetPlan, rc *RunContext) (TargetWriter, error)
}

// Connector is everything the engine knows about one kind of system.
type Connector struct {
	Kind       string
	Doc        string
	Connection *Spec // nil: no connection block of this kind
	Source     *SourceSpec
	Target     *TargetSpec
}

// Registry maps connector kinds to their descriptions.
type Registry struct {
	mu    sync.RWMutex
	kinds map[string]*Connector
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{kinds: map[string]*Connector{}} }

// DefaultRegistry holds the built-in connectors (see connectors/all).
var DefaultRegistry = NewRegistry()

// Register adds a connector to the default registry; it panics on a duplicate
// kind because that is a programming error caught at start-up.
func Register(c *Connector) { DefaultRegistry.Register(c) }

// Register adds c to r.
func (r *Registry) Register(c *Connector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.kinds[c.Kind]; dup {
		panic(fmt.Sprintf("engine: connector %q registered twice", c.Kind))
	}
	r.kinds[c.Kind] = c
}

// Get returns the connector for kind.
func (r *Registry) Get(kind string) (*Connector, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.kinds[kind]
	return c, ok
}

// Kinds lists the registered kinds, sorted; with a filter, only those for
// which it returns true.
func (r *Registry) Kinds(filter func(*Connector) bool) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for k, c := range r.kinds {
		if filter == nil || filter(c) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
