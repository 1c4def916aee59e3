package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Journal record headers. The body is the record as JSON, or the raw
// input bytes when it could not be decoded.
const (
	hFlow      = "Flowctl-Flow"
	hPlan      = "Flowctl-Plan"
	hKey       = "Flowctl-Key"
	hSource    = "Flowctl-Source"
	hLine      = "Flowctl-Line"
	hReceived  = "Flowctl-Received"
	hDecodeErr = "Flowctl-Decode-Error"
	hID        = "Flowctl-Id"
	hReplayOf  = "Flowctl-Replay-Of"
)

// Entry is one journaled inbound message.
type Entry struct {
	Seq        uint64    `json:"seq"` // journal sequence (0 before it is journaled)
	Flow       string    `json:"flow"`
	Plan       string    `json:"plan"`           // hash of the flow version that took it in
	Key        string    `json:"key,omitempty"`  // business key, when the flow names one
	ID         string    `json:"id,omitempty"`   // the source's id of the message
	Source     string    `json:"source"`         // file, path or system it came from
	Line       int       `json:"line,omitempty"` // line in a file source
	ReceivedAt time.Time `json:"received_at"`
	// Record is the message as JSON; when DecodeError is set it holds the
	// raw input that could not be decoded.
	Record      json.RawMessage `json:"record"`
	DecodeError string          `json:"decode_error,omitempty"`
	// ReplayOf is the journal sequence a dead-letter retry re-journaled.
	ReplayOf uint64 `json:"replay_of,omitempty"`
	// Stored is when the journal took it (set when read back).
	Stored time.Time `json:"stored"`
}

// Subject is the journal subject of a flow.
func Subject(flow string) string { return journalPrefix + flow }

// Msg turns an entry into a message to publish.
func (e *Entry) Msg() *nats.Msg {
	m := nats.NewMsg(Subject(e.Flow))
	h := m.Header
	h.Set(hFlow, e.Flow)
	h.Set(hPlan, e.Plan)
	if e.Key != "" {
		h.Set(hKey, headerSafe(e.Key))
	}
	if e.ID != "" {
		h.Set(hID, headerSafe(e.ID))
	}
	h.Set(hSource, headerSafe(e.Source))
	if e.Line > 0 {
		h.Set(hLine, strconv.Itoa(e.Line))
	}
	h.Set(hReceived, e.ReceivedAt.UTC().Format(time.RFC3339Nano))
	if e.DecodeError != "" {
		h.Set(hDecodeErr, headerSafe(e.DecodeError))
	}
	if e.ReplayOf > 0 {
		h.Set(hReplayOf, strconv.FormatUint(e.ReplayOf, 10))
	}
	m.Data = e.Record
	return m
}

// headerSafe keeps a header value on one line.
func headerSafe(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// EntryOf reads a journal message.
func EntryOf(subject string, h nats.Header, data []byte, seq uint64, stored time.Time) *Entry {
	e := &Entry{Seq: seq, Flow: h.Get(hFlow), Plan: h.Get(hPlan), Key: h.Get(hKey), ID: h.Get(hID),
		Source: h.Get(hSource), DecodeError: h.Get(hDecodeErr), Record: data, Stored: stored}
	if e.Flow == "" {
		e.Flow = strings.TrimPrefix(subject, journalPrefix)
	}
	e.Line, _ = strconv.Atoi(h.Get(hLine))
	e.ReceivedAt, _ = time.Parse(time.RFC3339Nano, h.Get(hReceived))
	e.ReplayOf, _ = strconv.ParseUint(h.Get(hReplayOf), 10, 64)
	return e
}

// MsgID is the dedupe id of an entry: the flow plus the source's id (""
// when the source gave none: nothing to dedupe on).
func (e *Entry) MsgID() string {
	if e.ID == "" {
		return ""
	}
	return e.Flow + ":" + e.ID
}

// Append journals an entry asynchronously; the future reports when it is
// stored (or why not). A repeated id within the dedupe window is stored
// once (PubAck.Duplicate).
func (s *Store) Append(e *Entry) (jetstream.PubAckFuture, error) {
	var opts []jetstream.PublishOpt
	if id := e.MsgID(); id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	return s.JS.PublishMsgAsync(e.Msg(), opts...)
}

// AppendSync journals an entry and waits until it is stored.
func (s *Store) AppendSync(ctx context.Context, e *Entry) (*jetstream.PubAck, error) {
	var opts []jetstream.PublishOpt
	if id := e.MsgID(); id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	return s.JS.PublishMsg(ctx, e.Msg(), opts...)
}

// Get reads one journal entry by sequence.
func (s *Store) Get(ctx context.Context, seq uint64) (*Entry, error) {
	rm, err := s.Journal.GetMsg(ctx, seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("journal record %d not found (past the journal's retention?)", seq)
		}
		return nil, err
	}
	return EntryOf(rm.Subject, rm.Header, rm.Data, rm.Sequence, rm.Time), nil
}

// Attempt is one try of a target write.
type Attempt struct {
	At     time.Time `json:"at"`
	Target string    `json:"target"`
	Error  string    `json:"error"`
	Status int       `json:"status,omitempty"`
}

// DeadLetter is a message that could not be processed.
type DeadLetter struct {
	Seq      uint64    `json:"dlq_seq"` // dead-letter sequence (set when read)
	Entry    *Entry    `json:"message"` // the journaled message
	Flow     string    `json:"flow"`
	Plan     string    `json:"plan"`  // plan hash that failed it
	Step     string    `json:"step"`  // rule, "decode", "schema", "target.<name>", ...
	Error    string    `json:"error"` // the reason
	Location string    `json:"location,omitempty"`
	Attempts []Attempt `json:"attempts,omitempty"`
	// Written lists the targets already written before the failure.
	Written []string  `json:"written,omitempty"`
	At      time.Time `json:"at"`
	Host    string    `json:"host,omitempty"`
}

// DLQSubject is the dead-letter subject of a flow.
func DLQSubject(flow string) string { return dlqPrefix + flow }

// DeadLetter stores a dead letter and waits until it is durable; d.Seq is
// then its dead-letter sequence.
func (s *Store) DeadLetter(ctx context.Context, d *DeadLetter) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	m := nats.NewMsg(DLQSubject(d.Flow))
	m.Data = data
	m.Header.Set(hFlow, d.Flow)
	if d.Entry != nil {
		m.Header.Set("Flowctl-Journal-Seq", strconv.FormatUint(d.Entry.Seq, 10))
		if d.Entry.Key != "" {
			m.Header.Set(hKey, headerSafe(d.Entry.Key))
		}
	}
	// The id only dedupes a repeat of this very call (a publish retried
	// after a lost reply): each failure of a message is its own record.
	var opts []jetstream.PublishOpt
	if d.Entry != nil && d.Entry.Seq > 0 {
		opts = append(opts, jetstream.WithMsgID(fmt.Sprintf("dlq:%s:%d:%d", d.Flow, d.Entry.Seq, d.At.UnixNano())))
	}
	ack, err := s.JS.PublishMsg(ctx, m, opts...)
	if err != nil {
		return err
	}
	d.Seq = ack.Sequence
	return nil
}

// AuditRecord says who did what to which message, when and why.
type AuditRecord struct {
	Action  string    `json:"action"` // dlq.retry, dlq.drop, replay
	Who     string    `json:"who"`
	Why     string    `json:"why,omitempty"`
	At      time.Time `json:"at"`
	Flow    string    `json:"flow,omitempty"`
	DLQSeqs []uint64  `json:"dlq_seqs,omitempty"`
	Journal []uint64  `json:"journal_seqs,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Record appends to the audit stream.
func (s *Store) Record(ctx context.Context, a *AuditRecord) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = s.JS.Publish(ctx, auditPrefix+strings.ReplaceAll(a.Action, ".", "_"), data)
	return err
}
