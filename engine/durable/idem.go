package durable

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/flowctl/flowctl/engine/codec"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Idempotency records: one per (flow, target, idempotency key). A write
// first claims its key (pending), then marks it done with the target's
// answer. The claim is what keeps two processes, or two messages with the
// same key, from writing the same thing twice at the same time; "done" is
// what makes a redelivered message a duplicate instead of a second write.
//
// The window the store cannot close: a process that dies after the target
// took the write and before "done" is stored leaves the claim pending; the
// redelivered message then writes again, carrying the same idempotency
// key, and only a target that honours the key (or dedupes by itself)
// turns that into one effect.

// IdemState is where a write stands.
type IdemState string

// States.
const (
	IdemPending IdemState = "pending"
	IdemDone    IdemState = "done"
)

// IdemRecord is the value stored for a key.
type IdemRecord struct {
	State   IdemState `json:"state"`
	Flow    string    `json:"flow"`
	Target  string    `json:"target"`
	Key     string    `json:"key"`
	Journal uint64    `json:"journal_seq"` // the message that wrote (or is writing) it
	Owner   string    `json:"owner,omitempty"`
	At      time.Time `json:"at"`
	// What the target answered.
	ResultID string `json:"result_id,omitempty"`
	Digest   string `json:"digest,omitempty"`
}

// appendJSON appends the record as encoding/json writes it (but for <, >
// and & left unescaped): it is written twice per message, and reflection
// was a visible share of the durable path's CPU.
func (r *IdemRecord) appendJSON(b []byte) []byte {
	field := func(b []byte, name string) []byte {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		return append(b, '"', ':')
	}
	b = append(b, '{')
	b = codec.AppendString(field(b, "state"), string(r.State))
	b = codec.AppendString(field(b, "flow"), r.Flow)
	b = codec.AppendString(field(b, "target"), r.Target)
	b = codec.AppendString(field(b, "key"), r.Key)
	b = strconv.AppendUint(field(b, "journal_seq"), r.Journal, 10)
	if r.Owner != "" {
		b = codec.AppendString(field(b, "owner"), r.Owner)
	}
	b = append(field(b, "at"), '"')
	if y := r.At.Year(); y >= 0 && y <= 9999 { // as time.Time.MarshalJSON
		b = r.At.AppendFormat(b, time.RFC3339Nano)
	}
	b = append(b, '"')
	if r.ResultID != "" {
		b = codec.AppendString(field(b, "result_id"), r.ResultID)
	}
	if r.Digest != "" {
		b = codec.AppendString(field(b, "digest"), r.Digest)
	}
	return append(b, '}')
}

// IdemKey is the bucket key of an idempotency key: the key is hashed, so
// any text (and any length) fits the bucket's key alphabet.
func IdemKey(flow, target, key string) string {
	sum := sha256.Sum256([]byte(key))
	return flow + "." + target + "." + hex.EncodeToString(sum[:20])
}

// ErrBusy means another message holds a fresh claim on the key: it is
// being written right now. Try again shortly.
var ErrBusy = errors.New("another message is writing the same idempotency key")

// Claim is a held key.
type Claim struct {
	key string
	rev uint64
	rec IdemRecord
}

// ClaimKey claims rec's key for a write. It returns dup when the write was
// already done (by this message or another with the same key). A pending
// claim of the same journal message (a crash or a retry of this message)
// or one older than lease (its owner died) is taken over.
func (s *Store) ClaimKey(ctx context.Context, rec IdemRecord, lease time.Duration) (c *Claim, dup *IdemRecord, err error) {
	k := IdemKey(rec.Flow, rec.Target, rec.Key)
	rec.State = IdemPending
	data := rec.appendJSON(make([]byte, 0, 256))
	for range 5 {
		rev, err := s.idemCAS(ctx, k, data, 0)
		if err == nil {
			return &Claim{key: k, rev: rev, rec: rec}, nil, nil
		}
		if !isWrongLastSeq(err) {
			return nil, nil, err
		}
		e, err := s.Idem.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			// Released (a delete marker is its last revision) or gone
			// meanwhile: Create claims over the marker.
			rev, err := s.Idem.Create(ctx, k, data)
			if err == nil {
				return &Claim{key: k, rev: rev, rec: rec}, nil, nil
			}
			if !errors.Is(err, jetstream.ErrKeyExists) {
				return nil, nil, err
			}
			continue // claimed by another meanwhile: look again
		}
		if err != nil {
			return nil, nil, err
		}
		var cur IdemRecord
		if json.Unmarshal(e.Value(), &cur) != nil {
			cur = IdemRecord{}
		}
		if cur.State == IdemDone {
			return nil, &cur, nil
		}
		// A live claim is renewed every quarter lease. Another message's
		// claim is taken over once it missed a whole lease; a claim of this
		// same message (a crash, then redelivery) once it missed two
		// renewals — not at once, since a second copy of a message can
		// arrive while the first is still being written (its lease lapsed
		// during a stall), and both must not write.
		stale := lease
		if cur.Journal == rec.Journal {
			stale = lease / 2
		}
		if time.Since(cur.At) < stale {
			return nil, nil, ErrBusy
		}
		rev, err = s.idemCAS(ctx, k, data, e.Revision())
		if err == nil {
			return &Claim{key: k, rev: rev, rec: rec}, nil, nil
		}
		// Someone else moved it: look again.
	}
	return nil, nil, ErrBusy
}

// Renew refreshes a held claim's time, so that other messages with the
// same key keep waiting for its outcome instead of taking it over after
// the lease: the claim's owner is alive, it is only slow (a long write, a
// target that is down). An error means the claim could not be renewed
// (taken over, or the store is unreachable); the claim stays as it was.
func (s *Store) Renew(ctx context.Context, c *Claim) error {
	rec := c.rec
	rec.At = time.Now().UTC()
	rev, err := s.idemCAS(ctx, c.key, rec.appendJSON(make([]byte, 0, 256)), c.rev)
	if err != nil {
		return err
	}
	c.rev, c.rec = rev, rec
	return nil
}

// Done marks a claimed write as done with what the target answered.
func (s *Store) Done(ctx context.Context, c *Claim, resultID, digest string) error {
	rec := c.rec
	rec.State, rec.At, rec.ResultID, rec.Digest = IdemDone, time.Now().UTC(), resultID, digest
	data := rec.appendJSON(make([]byte, 0, 256))
	if _, err := s.idemCAS(ctx, c.key, data, c.rev); err != nil {
		// The claim was taken over (lease expired while we wrote): the
		// write happened, so record it regardless.
		_, err = s.Idem.Put(ctx, c.key, data)
		return err
	}
	return nil
}

// idemSubject is where the idempotency bucket's key is written (what
// KeyValue.Update publishes to: the bucket is created by ensure, with no
// JetStream domain and no mirror).
const idemSubject = "$KV." + IdemBucket + "."

// idemCAS writes data under key if the key's last revision is rev (0: the
// key has never been written), as KeyValue.Update does, but with an
// asynchronous publish: the same stored message and the same answer, at
// a fraction of a synchronous request's cost. key is an IdemKey (valid by
// construction). It returns the new revision.
func (s *Store) idemCAS(ctx context.Context, key string, data []byte, rev uint64) (uint64, error) {
	m := &nats.Msg{Subject: idemSubject + key, Header: nats.Header{}, Data: data}
	f, err := s.idemJS.PublishMsgAsync(m, jetstream.WithExpectLastSequencePerSubject(rev))
	if err != nil {
		return 0, err
	}
	select {
	case pa := <-f.Ok():
		return pa.Sequence, nil
	case err := <-f.Err():
		return 0, err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// isWrongLastSeq reports a failed compare-and-set: the key's last revision
// was not the one expected (10164 on replicated streams).
func isWrongLastSeq(err error) bool {
	var ae *jetstream.APIError
	return errors.As(err, &ae) && (ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Release gives a claim up after a failed write, so a later retry can
// claim it again.
func (s *Store) Release(ctx context.Context, c *Claim) error {
	err := s.Idem.Delete(ctx, c.key, jetstream.LastRevision(c.rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	return nil
}

// Lookup returns the record of a key, nil when there is none.
func (s *Store) Lookup(ctx context.Context, flow, target, key string) (*IdemRecord, error) {
	e, err := s.Idem.Get(ctx, IdemKey(flow, target, key))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec IdemRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// Forget removes a key's record (replay --rewrite).
func (s *Store) Forget(ctx context.Context, flow, target, key string) error {
	err := s.Idem.Delete(ctx, IdemKey(flow, target, key))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	return nil
}

func requeueKey(flow string, seq uint64) string { return flow + "." + strconv.FormatUint(seq, 10) }

// CountRequeue adds one to a journal record's requeue count.
func (s *Store) CountRequeue(ctx context.Context, flow string, seq uint64) error {
	k := requeueKey(flow, seq)
	for range 5 {
		e, err := s.Requeues.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			if _, err := s.Requeues.Create(ctx, k, []byte("1")); err == nil || !errors.Is(err, jetstream.ErrKeyExists) {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(string(e.Value()))
		if _, err := s.Requeues.Update(ctx, k, []byte(strconv.Itoa(n+1)), e.Revision()); err == nil {
			return nil
		}
	}
	return errors.New("requeue count: too much contention")
}

// RequeueCount is how many times serve requeued a journal record.
func (s *Store) RequeueCount(ctx context.Context, flow string, seq uint64) (int, error) {
	e, err := s.Requeues.Get(ctx, requeueKey(flow, seq))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, _ := strconv.Atoi(string(e.Value()))
	return n, nil
}
