package durable

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Administration helpers for flowctl replay and flowctl dlq.

// Audits lists the audit records of action ("" = every action) taken at
// or after since (zero: all), oldest first.
func (s *Store) Audits(ctx context.Context, action string, since time.Time, fn func(*AuditRecord) error) error {
	subject := auditPrefix + ">"
	if action != "" {
		subject = auditPrefix + auditToken(action)
	}
	return s.scan(ctx, AuditStream, subject, since, func(m jetstream.Msg) (bool, error) {
		var a AuditRecord
		if err := json.Unmarshal(m.Data(), &a); err != nil {
			md, _ := m.Metadata()
			return false, fmt.Errorf("audit record %d: %w", md.Sequence.Stream, err)
		}
		return true, fn(&a)
	})
}

// auditToken is the subject token of an action (as Record names it).
func auditToken(action string) string { return strings.ReplaceAll(action, ".", "_") }

// DeadLettersOf returns the dead letters of a journal message stored after
// the dead letter afterSeq (0: any) and no earlier than since (zero: from
// the start of the stream).
func (s *Store) DeadLettersOf(ctx context.Context, flow string, journalSeq, afterSeq uint64, since time.Time) ([]*DeadLetter, error) {
	var out []*DeadLetter
	err := s.DeadLetters(ctx, Filter{Flow: flow, Since: since}, func(d *DeadLetter) error {
		if d.Seq > afterSeq && d.Entry != nil && d.Entry.Seq == journalSeq {
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// PutDeadLetter stores a dead letter under a message id of its own (so it
// is never taken for a repeat of an earlier dead letter of the same
// message, as DeadLetter's id would within the stream's duplicate window)
// and returns its dead-letter sequence.
func (s *Store) PutDeadLetter(ctx context.Context, d *DeadLetter, id string) (uint64, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return 0, err
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
	ack, err := s.JS.PublishMsg(ctx, m, jetstream.WithMsgID(id))
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}
