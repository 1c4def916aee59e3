package odoo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/flowctl/flowctl/engine"
)

// xmlidModule is the module of the external ids the connector creates when
// a flow gives only a name (or none: the idempotency key is the name).
const xmlidModule = "__flowctl__"

// target performs one Odoo operation per engine operation. Write makes one
// attempt (of one or a few calls) and classifies its failure; the engine
// retries retryable failures.
//
// Write does not batch creates across operations: the engine hands it one
// message's operation and needs that operation's outcome before it
// acknowledges the message to its source, so buffering creates across
// Write calls would acknowledge records that are not in Odoo yet, and a
// failed batch could not say which message failed. batch_size applies
// where batching is safe: a body that is a list of records is created in
// create calls of up to batch_size records, and WriteBatch (for an engine
// that hands over several operations and takes one outcome per operation)
// batches single-record creates.
type target struct {
	c           *client
	model       string
	op          string
	uniqueField string
	byXMLID     bool
	method      string
	callBody    bool // call: the flow set a body, passed as keyword arguments
	batch       int
	types       map[string]string
}

func openTarget(tp *engine.TargetPlan, _ *engine.RunContext) (engine.TargetWriter, error) {
	v := tp.Values
	t := &target{
		model:       v.String("model"),
		op:          v.String("operation"),
		uniqueField: v.String("unique_field"),
		method:      v.String("method"),
		callBody:    v.Has("body"),
		batch:       v.Int("batch_size"),
	}
	if t.op == "" {
		t.op = "create"
	}
	if t.batch <= 0 {
		t.batch = 50
	}
	t.byXMLID = t.op == "upsert" && (v.Has("external_id") || t.uniqueField == "")
	c, err := newClient(tp.Connection)
	if err != nil {
		return nil, err
	}
	t.c = c
	// fields_get proves url, database, credentials and model before the
	// first record, and gives the field types (date fields take dates).
	if t.types, err = c.fieldTypes(context.Background(), defaultRetrier, t.model); err != nil {
		c.close()
		return nil, err
	}
	if t.op == "upsert" && !t.byXMLID {
		if _, ok := t.types[t.uniqueField]; !ok {
			c.close()
			return nil, fmt.Errorf("unique_field: model %s has no field %q", t.model, t.uniqueField)
		}
	}
	return t, nil
}

func (t *target) Close() error {
	t.c.close()
	return nil
}

func (t *target) Write(ctx context.Context, op *engine.Operation) error {
	_, err := t.WriteResult(ctx, op)
	return err
}

// WriteResult is Write reporting the id of the record written: created,
// updated, upserted or called (a list body: the new ids, comma-separated).
// Digest is empty: Odoo's answer is the id itself.
func (t *target) WriteResult(ctx context.Context, op *engine.Operation) (engine.WriteResult, error) {
	ids, err := t.do(ctx, op)
	if err != nil {
		return engine.WriteResult{}, err
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return engine.WriteResult{ID: strings.Join(parts, ",")}, nil
}

// do performs one operation and returns the ids of the records it wrote.
func (t *target) do(ctx context.Context, op *engine.Operation) ([]int, error) {
	one := func(id int, err error) ([]int, error) {
		if err != nil {
			return nil, err
		}
		return []int{id}, nil
	}
	switch t.op {
	case "create":
		if list, ok := op.Body.([]any); ok {
			return t.createList(ctx, list)
		}
		vals, err := t.values(op.Body)
		if err != nil {
			return nil, err
		}
		return t.create(ctx, []any{vals})
	case "write":
		id, err := t.recordID(op)
		if err != nil {
			return nil, err
		}
		vals, err := t.values(op.Body)
		if err != nil {
			return nil, err
		}
		return one(id, t.write(ctx, id, vals))
	case "upsert":
		vals, err := t.values(op.Body)
		if err != nil {
			return nil, err
		}
		if t.byXMLID {
			return one(t.upsertXMLID(ctx, op, vals))
		}
		return one(t.upsertUnique(ctx, vals))
	case "call":
		return one(t.call(ctx, op))
	}
	return nil, engine.Permanent(fmt.Errorf("unknown operation %q", t.op))
}

// WriteBatch performs consecutive operations and returns each one's
// outcome (errs[i] is ops[i]'s). It is for an engine that hands a target
// several messages at once and acknowledges each by its own result; the
// engine's sink does not call it yet (it writes one operation at a time).
//
// Creates of single records go batch_size per create call: one Odoo
// transaction, so a retryable failure (the call did nothing) is every
// record's, and a permanent one (one record is bad, the whole call was
// rolled back) is followed by one create per record, so that each record
// gets its own outcome and the good ones are written. Other operations are
// written one by one.
func (t *target) WriteBatch(ctx context.Context, ops []*engine.Operation) []error {
	errs := make([]error, len(ops))
	if t.op != "create" {
		for i, op := range ops {
			errs[i] = t.Write(ctx, op)
		}
		return errs
	}
	var idx []int // ops of the current chunk
	var vals []any
	flush := func() {
		if len(vals) == 0 {
			return
		}
		if _, err := t.create(ctx, vals); err != nil {
			if retry, _ := engine.IsRetryable(err); retry || ctx.Err() != nil || len(vals) == 1 {
				for _, i := range idx {
					errs[i] = err
				}
			} else {
				for k, i := range idx {
					_, errs[i] = t.create(ctx, vals[k:k+1])
				}
			}
		}
		idx, vals = idx[:0], vals[:0]
	}
	for i, op := range ops {
		if _, list := op.Body.([]any); list {
			flush()
			errs[i] = t.Write(ctx, op)
			continue
		}
		v, err := t.values(op.Body)
		if err != nil {
			errs[i] = err
			continue
		}
		idx, vals = append(idx, i), append(vals, v)
		if len(vals) == t.batch {
			flush()
		}
	}
	flush()
	return errs
}

// values checks and converts a body of field values.
func (t *target) values(body any) (map[string]any, error) {
	m, ok := body.(map[string]any)
	if !ok {
		return nil, engine.Permanent(fmt.Errorf("the body must be an object of %s field values, not %s", t.model, describe(body)))
	}
	vals, err := wireValues(m, t.types)
	if err != nil {
		return nil, engine.Permanent(err)
	}
	return vals, nil
}

func (t *target) recordID(op *engine.Operation) (int, error) {
	v := op.Fields["record_id"]
	id, ok := toID(v)
	if !ok {
		return 0, engine.Permanent(fmt.Errorf("record_id gave %s, not the id of a %s record", describe(v), t.model))
	}
	return id, nil
}

// create calls create([vals, ...]) and returns the new ids.
func (t *target) create(ctx context.Context, valsList []any) ([]int, error) {
	call := &rpc{model: t.model, method: "create", args: []any{valsList}, names: []string{"vals_list"}}
	res, err := t.c.execute(ctx, call)
	if err != nil {
		return nil, err
	}
	ids, ok := idList(res)
	if !ok || len(ids) != len(valsList) {
		return nil, engine.Permanent(fmt.Errorf("%s: expected %d new ids, got %s", call.what(), len(valsList), describe(res)))
	}
	return ids, nil
}

// createList creates the records of a list body, batch_size per call. The
// calls are separate transactions: when one fails after others succeeded,
// the failure is permanent (a retry would create the first records again)
// and names the records already created.
func (t *target) createList(ctx context.Context, list []any) ([]int, error) {
	var done []int
	for start := 0; start < len(list); start += t.batch {
		end := min(start+t.batch, len(list))
		chunk := make([]any, 0, end-start)
		for i, x := range list[start:end] {
			vals, err := t.values(x)
			if err != nil {
				return nil, engine.Permanent(fmt.Errorf("record %d of the body: %w", start+i+1, err))
			}
			chunk = append(chunk, vals)
		}
		ids, err := t.create(ctx, chunk)
		if err != nil {
			if len(done) == 0 {
				return nil, err
			}
			return nil, engine.Permanent(fmt.Errorf("%w (records 1-%d of %d were created before, as %s ids %s; not retried so they are not created twice)",
				err, start, len(list), t.model, idsText(done)))
		}
		done = append(done, ids...)
	}
	return done, nil
}

func (t *target) write(ctx context.Context, id int, vals map[string]any) error {
	_, err := t.c.execute(ctx, &rpc{model: t.model, method: "write", record: true, ids: []int{id},
		args: []any{vals}, names: []string{"vals"}})
	return err
}

// upsertUnique finds the record whose unique_field has the body's value:
// none → create, one → write, more → a permanent error. Archived records
// count (active_test off), so an upsert does not duplicate them. Two
// writers upserting the same new value at the same moment can both create:
// Odoo has no unique constraint on such fields; external ids do.
func (t *target) upsertUnique(ctx context.Context, vals map[string]any) (int, error) {
	val, ok := vals[t.uniqueField]
	if !ok || val == false {
		return 0, engine.Permanent(fmt.Errorf("upsert by %s: the body has no %s value", t.uniqueField, t.uniqueField))
	}
	call := &rpc{model: t.model, method: "search", args: []any{[]any{[]any{t.uniqueField, "=", val}}}, names: []string{"domain"},
		kwargs: map[string]any{"limit": 2, "context": map[string]any{"active_test": false}}}
	res, err := t.c.execute(ctx, call)
	if err != nil {
		return 0, err
	}
	ids, ok := idList(res)
	if !ok {
		return 0, engine.Permanent(fmt.Errorf("%s: expected ids, got %s", call.what(), describe(res)))
	}
	switch len(ids) {
	case 0:
		created, err := t.create(ctx, []any{vals})
		if err != nil {
			return 0, err
		}
		return created[0], nil
	case 1:
		return ids[0], t.write(ctx, ids[0], vals)
	}
	return 0, engine.Permanent(fmt.Errorf("upsert by %s: several %s records have %s = %v (ids %s); make it unique or upsert by external_id",
		t.uniqueField, t.model, t.uniqueField, val, idsText(ids)))
}

// xmlid is the external id of an upsert: external_id as "module.name" (a
// name without a module is in __flowctl__), else the idempotency key as a
// name in __flowctl__ (spaces, which Odoo refuses in external ids, and %
// percent-encoded).
func (t *target) xmlid(op *engine.Operation) (module, name string, err error) {
	if v, set := op.Fields["external_id"]; set {
		s, _ := v.(string)
		s = strings.TrimSpace(s)
		if s == "" {
			return "", "", engine.Permanent(fmt.Errorf("external_id gave %s, not an external id", describe(v)))
		}
		if m, n, ok := strings.Cut(s, "."); ok && m != "" && n != "" {
			return m, n, nil
		}
		return xmlidModule, s, nil
	}
	if op.Key == "" {
		return "", "", engine.Permanent(errors.New("upsert by external id: neither external_id nor idempotency_key gave a name"))
	}
	return xmlidModule, strings.NewReplacer("%", "%25", " ", "%20").Replace(op.Key), nil
}

// upsertXMLID writes the record the external id names, or creates the
// record and then its external id (ir.model.data, noupdate). A redelivered
// message finds the external id and writes the same record again.
//
// The two creates are separate transactions. When the external id cannot
// be created, the new record is deleted again, so a retry starts clean; a
// concurrent writer that created the same external id first makes this
// write retryable (the retry finds it and writes).
func (t *target) upsertXMLID(ctx context.Context, op *engine.Operation, vals map[string]any) (int, error) {
	module, name, err := t.xmlid(op)
	if err != nil {
		return 0, err
	}
	full := module + "." + name
	find := &rpc{model: "ir.model.data", method: "search_read", names: []string{"domain"},
		args:   []any{[]any{[]any{"module", "=", module}, []any{"name", "=", name}}},
		kwargs: map[string]any{"fields": []any{"model", "res_id"}, "limit": 1}}
	res, err := t.c.execute(ctx, find)
	if err != nil {
		return 0, err
	}
	rows, _ := res.([]any)
	if len(rows) > 0 {
		row, _ := rows[0].(map[string]any)
		if m, _ := row["model"].(string); m != t.model {
			return 0, engine.Permanent(fmt.Errorf("external id %s names a %s record, not %s", full, m, t.model))
		}
		rowID, _ := toID(row["id"])
		if id, ok := toID(row["res_id"]); ok {
			if err := t.write(ctx, id, vals); err != nil {
				var ce *engine.ConnectorError
				if errors.As(err, &ce) && !ce.Retryable && strings.Contains(err.Error(), "MissingError") {
					return 0, engine.Permanent(fmt.Errorf("external id %s names %s %d, which no longer exists (delete ir.model.data %d to create it again): %w",
						full, t.model, id, rowID, err))
				}
				return 0, err
			}
			return id, nil
		}
		// A row without a record: create it and point the row at it.
		ids, err := t.create(ctx, []any{vals})
		if err != nil {
			return 0, err
		}
		_, err = t.c.execute(ctx, &rpc{model: "ir.model.data", method: "write", record: true, ids: []int{rowID},
			args: []any{map[string]any{"res_id": ids[0]}}, names: []string{"vals"}})
		return ids[0], t.undoCreate(ctx, err, ids[0], full)
	}
	ids, err := t.create(ctx, []any{vals})
	if err != nil {
		return 0, err
	}
	_, err = t.c.execute(ctx, &rpc{model: "ir.model.data", method: "create", names: []string{"vals_list"},
		args: []any{[]any{map[string]any{"module": module, "name": name, "model": t.model, "res_id": ids[0], "noupdate": true}}}})
	return ids[0], t.undoCreate(ctx, err, ids[0], full)
}

// undoCreate deletes a record created for an external id that could not
// be recorded, and says what happened.
func (t *target) undoCreate(ctx context.Context, err error, id int, full string) error {
	if err == nil {
		return nil
	}
	var ce *engine.ConnectorError
	retry := errors.As(err, &ce) && ce.Retryable
	msg := err.Error()
	if strings.Contains(msg, "duplicate key") || strings.Contains(msg, "unique") {
		retry = true // another writer created it first: the retry writes
	}
	hint := ""
	if strings.Contains(msg, "AccessError") {
		hint = "; creating external ids needs the Administration / Access Rights group: give it to the user or upsert by unique_field"
	}
	_, uerr := t.c.execute(context.WithoutCancel(ctx), &rpc{model: t.model, method: "unlink", record: true, ids: []int{id}})
	if uerr != nil {
		return engine.Permanent(fmt.Errorf("recording external id %s: %v%s; %s %d was created without it and could not be deleted (%v): delete it or give it the external id by hand",
			full, err, hint, t.model, id, uerr))
	}
	wrapped := fmt.Errorf("recording external id %s: %w%s (the new %s %d was deleted again)", full, err, hint, t.model, id)
	if retry {
		return engine.Retryable(wrapped, 0)
	}
	return engine.Permanent(wrapped)
}

// call calls the method on record_id, with the body (when the flow sets
// one) as keyword arguments, e.g. {context: {skip_backorder: true}}. A
// method that answers with a wizard (an act_window opening in a dialog)
// did not finish what it was asked: that is a permanent error naming the
// wizard.
func (t *target) call(ctx context.Context, op *engine.Operation) (int, error) {
	id, err := t.recordID(op)
	if err != nil {
		return 0, err
	}
	r := &rpc{model: t.model, method: t.method, record: true, ids: []int{id}}
	if t.callBody && op.Body != nil {
		m, ok := op.Body.(map[string]any)
		if !ok {
			return 0, engine.Permanent(fmt.Errorf("the body of a call is its keyword arguments: an object, not %s", describe(op.Body)))
		}
		if len(m) > 0 {
			w, err := wireValue(m)
			if err != nil {
				return 0, engine.Permanent(err)
			}
			r.kwargs = w.(map[string]any)
		}
	}
	res, err := t.c.execute(ctx, r)
	if err != nil {
		return 0, err
	}
	if act, ok := res.(map[string]any); ok && act["type"] == "ir.actions.act_window" && act["target"] == "new" {
		wizard, _ := act["res_model"].(string)
		title, _ := act["name"].(string)
		hint := ""
		if wizard == "stock.backorder.confirmation" || wizard == "stock.immediate.transfer" {
			hint = "; to validate without it, call with body = \"{context: {skip_backorder: true}}\" (backorder the rest) or add picking_ids_not_to_backorder: [id] (cancel the rest)"
		}
		return 0, engine.Permanent(fmt.Errorf("%s did not finish: it opened the wizard %s (%q)%s", r.what(), wizard, title, hint))
	}
	return id, nil
}

var _ engine.ResultWriter = (*target)(nil)
