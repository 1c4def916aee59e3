package codec

import (
	"fmt"
	"runtime"
)

// Decoding ahead: with more than one CPU, a reader decodes in a goroutine
// of its own and hands records over in batches, so decoding runs beside
// the caller's flow logic and encoding instead of before them.
//
// The goroutine stops at the end of input or at a fatal error. A caller
// that drops a reader before its end needs to do nothing: once the reader
// is unreachable a cleanup stops the goroutine (it must not refer to the
// reader the caller holds, only to the state below it).

// batchSize is the most records handed over at once.
const batchSize = 128

// aheadBatches is how many batches may wait decoded.
const aheadBatches = 4

// bufferedReader is a reader that can tell whether its next record can be
// decoded from data already read, without a possibly blocking read.
type bufferedReader interface {
	Reader
	buffered() bool
}

type batch struct {
	recs []Record
	err  error
	end  bool
}

// aheadReader is the caller's side.
type aheadReader struct {
	ch   <-chan batch
	free chan []Record // consumed batch slices, for reuse
	cur  []Record
	i    int
	err  error
	end  bool
}

func newAheadReader(inner bufferedReader) Reader {
	ch := make(chan batch, aheadBatches)
	free := make(chan []Record, aheadBatches+2)
	done := make(chan struct{})
	r := &aheadReader{ch: ch, free: free}
	runtime.AddCleanup(r, func(done chan struct{}) { close(done) }, done)
	go decodeAhead(inner, ch, free, done)
	return r
}

func decodeAhead(inner bufferedReader, ch chan<- batch, free chan []Record, done <-chan struct{}) {
	var b batch
	defer func() {
		if p := recover(); p != nil {
			b.err = fmt.Errorf("codec: internal error: %v", p)
			b.end = true
			select {
			case ch <- b:
			case <-done:
			}
		}
	}()
	for {
		select {
		case b.recs = <-free:
		default:
			b.recs = make([]Record, 0, batchSize)
		}
		for len(b.recs) < batchSize {
			rec, ok, err := inner.Next()
			if err != nil {
				b.err, b.end = err, true
				break
			}
			if !ok {
				b.end = true
				break
			}
			b.recs = append(b.recs, rec)
			if !inner.buffered() {
				// The next record needs a read that may block: hand
				// over what there is, so a slow stream is not held up.
				break
			}
		}
		select {
		case ch <- b:
		case <-done:
			return
		}
		if b.end {
			return
		}
		b = batch{}
	}
}

func (r *aheadReader) Next() (Record, bool, error) {
	for r.i >= len(r.cur) {
		if r.err != nil || r.end {
			return Record{}, false, r.err
		}
		if r.cur != nil {
			clear(r.cur)
			select {
			case r.free <- r.cur[:0]:
			default:
			}
			r.cur = nil
		}
		b := <-r.ch
		r.cur, r.i, r.err, r.end = b.recs, 0, b.err, b.end
	}
	rec := r.cur[r.i]
	r.i++
	return rec, true, nil
}
