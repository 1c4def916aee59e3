package durable

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Filter selects journal or dead-letter records.
type Filter struct {
	Flow         string // "" = every flow
	Key          string // business key; "" = any
	Since, Until time.Time
}

// scan calls fn for each message of a stream on subject, in order, from
// since (zero: the start) to the stream's last message when the scan began.
func (s *Store) scan(ctx context.Context, stream, subject string, since time.Time, fn func(jetstream.Msg) (bool, error)) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}}
	if !since.IsZero() {
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &since
	}
	st, err := s.JS.Stream(ctx, stream)
	if err != nil {
		return err
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return err
	}
	if info.State.Msgs == 0 {
		return nil
	}
	last := info.State.LastSeq
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return err
	}
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			if md.Sequence.Stream > last {
				return nil
			}
			more, err := fn(m)
			if err != nil || !more {
				return err
			}
			if md.Sequence.Stream == last || md.NumPending == 0 {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return err
		}
		if n == 0 {
			return nil // nothing more matches the filter
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func subjectOf(prefix, flow string) string {
	if flow == "" {
		return prefix + ">"
	}
	return prefix + flow
}

// Entries lists the journal records the filter selects, oldest first.
func (s *Store) Entries(ctx context.Context, f Filter, fn func(*Entry) error) error {
	return s.scan(ctx, JournalStream, subjectOf(journalPrefix, f.Flow), f.Since, func(m jetstream.Msg) (bool, error) {
		md, _ := m.Metadata()
		if !f.Until.IsZero() && md.Timestamp.After(f.Until) {
			return false, nil
		}
		e := EntryOf(m.Subject(), m.Headers(), m.Data(), md.Sequence.Stream, md.Timestamp)
		if f.Key != "" && e.Key != f.Key {
			return true, nil
		}
		return true, fn(e)
	})
}

// DeadLetters lists the dead letters the filter selects, oldest first.
func (s *Store) DeadLetters(ctx context.Context, f Filter, fn func(*DeadLetter) error) error {
	return s.scan(ctx, DLQStream, subjectOf(dlqPrefix, f.Flow), f.Since, func(m jetstream.Msg) (bool, error) {
		md, _ := m.Metadata()
		if !f.Until.IsZero() && md.Timestamp.After(f.Until) {
			return false, nil
		}
		d, err := decodeDeadLetter(m.Data(), md.Sequence.Stream)
		if err != nil {
			return false, err
		}
		if f.Key != "" && (d.Entry == nil || d.Entry.Key != f.Key) {
			return true, nil
		}
		return true, fn(d)
	})
}

func decodeDeadLetter(data []byte, seq uint64) (*DeadLetter, error) {
	var d DeadLetter
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("dead letter %d: %w", seq, err)
	}
	d.Seq = seq
	return &d, nil
}

// DeadLetterAt reads one dead letter.
func (s *Store) DeadLetterAt(ctx context.Context, seq uint64) (*DeadLetter, error) {
	rm, err := s.DLQ.GetMsg(ctx, seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("no dead letter %d (dropped or retried already?)", seq)
		}
		return nil, err
	}
	return decodeDeadLetter(rm.Data, seq)
}

// RemoveDeadLetter takes a dead letter off the dead-letter stream (after a
// successful retry, or a drop). The journal record stays.
func (s *Store) RemoveDeadLetter(ctx context.Context, seq uint64) error {
	return s.DLQ.DeleteMsg(ctx, seq)
}

// DeadLetterCounts counts dead letters per flow.
func (s *Store) DeadLetterCounts(ctx context.Context) (map[string]uint64, error) {
	info, err := s.DLQ.Info(ctx, jetstream.WithSubjectFilter(dlqPrefix+">"))
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for subj, n := range info.State.Subjects {
		out[subj[len(dlqPrefix):]] = n
	}
	return out, nil
}

// PlanFiles is a recorded flow version: its files by name.
type PlanFiles struct {
	Hash  string            `json:"hash"`
	Files map[string][]byte `json:"files"`
	At    time.Time         `json:"at"`
}

// HashFiles is the plan hash of a set of files: names and contents.
func HashFiles(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n + "\x00" + strconv.Itoa(len(files[n])) + "\x00"))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// RecordPlan stores a flow version under its hash (once).
func (s *Store) RecordPlan(ctx context.Context, p *PlanFiles) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = s.Plans.Create(ctx, p.Hash, data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil
	}
	return err
}

// RecordedPlan reads a flow version by hash.
func (s *Store) RecordedPlan(ctx context.Context, hash string) (*PlanFiles, error) {
	e, err := s.Plans.Get(ctx, hash)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("flow version %s was not recorded", hash)
		}
		return nil, err
	}
	var p PlanFiles
	return &p, json.Unmarshal(e.Value(), &p)
}

// CursorState is a source position kept in the cursor bucket.
type CursorState struct {
	s   *Store
	key string
}

// SourceState returns the position store of a flow's source.
func (s *Store) SourceState(flow string) *CursorState { return &CursorState{s: s, key: flow} }

// Load returns the saved position, nil when none.
func (c *CursorState) Load(ctx context.Context) ([]byte, error) {
	e, err := c.s.Cursors.Get(ctx, c.key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}

// Save stores the position.
func (c *CursorState) Save(ctx context.Context, data []byte) error {
	_, err := c.s.Cursors.Put(ctx, c.key, data)
	return err
}
