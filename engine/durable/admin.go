package durable

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
