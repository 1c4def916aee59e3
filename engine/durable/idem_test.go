package durable

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestIdemRecordJSON(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 123456789, time.UTC)
	for _, r := range []IdemRecord{
		{State: IdemPending, Flow: "orders", Target: "jobs", Key: "SO1", Journal: 42, Owner: "host/1", At: at},
		{State: IdemDone, Flow: "f", Target: "t", Key: "k \"quoted\" \\ é \n\t\x01", Journal: 1, At: at.In(time.FixedZone("x", 3600)), ResultID: "job-1", Digest: "sha256:ab"},
		{},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON(nil); string(got) != string(want) {
			t.Errorf("appendJSON:\n got %s\nwant %s", got, want)
		}
	}
}

func BenchmarkIdemRecordJSON(b *testing.B) {
	r := IdemRecord{State: IdemDone, Flow: "orders", Target: "jobs", Key: "SO1000123", Journal: 123456, Owner: "host/4242", At: time.Now().UTC(), ResultID: "job-SO1000123", Digest: "sha256:0123456789abcdef"}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(r)
		}
	})
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.appendJSON(make([]byte, 0, 256))
		}
	})
}

// BenchmarkClaimDone is the idempotency store's share of a durable
// message: a claim and its "done", by 32 goroutines, on an embedded server.
func BenchmarkClaimDone(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			rec := IdemRecord{Flow: "orders", Target: "jobs", Key: "SO" + strconv.FormatInt(i, 10), Journal: uint64(i), Owner: "bench", At: time.Now().UTC()}
			c, dup, err := st.ClaimKey(ctx, rec, time.Minute)
			if err != nil || dup != nil {
				b.Fatal(err, dup)
			}
			if err := st.Done(ctx, c, "", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
	rec := IdemRecord{Flow: "orders", Target: "jobs", Key: "SO1", Journal: 99, At: time.Now().UTC()}
	if _, dup, err := st.ClaimKey(ctx, rec, time.Minute); err != nil || dup == nil || dup.State != IdemDone {
		b.Fatalf("claim of a done key: dup %+v, err %v", dup, err)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestClaims: a claim over a released key, a busy key, a takeover by the
// same journal message, a duplicate once done.
func TestClaims(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := IdemRecord{Flow: "orders", Target: "jobs", Key: "SO1", Journal: 1, At: time.Now().UTC()}
	c, dup, err := st.ClaimKey(ctx, rec, time.Minute)
	if err != nil || dup != nil {
		t.Fatal(err, dup)
	}
	if err := st.Release(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c, dup, err = st.ClaimKey(ctx, rec, time.Minute); err != nil || dup != nil {
		t.Fatalf("claim after release: %v %v", err, dup)
	}
	other := rec
	other.Journal = 2
	if _, _, err := st.ClaimKey(ctx, other, time.Minute); !errors.Is(err, ErrBusy) {
		t.Fatalf("claim of a held key: %v", err)
	}
	// A second copy of the same message while the first one's claim is
	// fresh waits: both must not write.
	if _, _, err := st.ClaimKey(ctx, rec, time.Minute); !errors.Is(err, ErrBusy) {
		t.Fatalf("second copy of the message while its claim is fresh: %v", err)
	}
	// A claim that missed two renewals (its process died) is taken over by
	// the redelivered message; another message still waits for the lease.
	if err := st.Release(ctx, c); err != nil {
		t.Fatal(err)
	}
	old := rec
	old.At = time.Now().UTC().Add(-40 * time.Second)
	if _, _, err := st.ClaimKey(ctx, old, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ClaimKey(ctx, other, time.Minute); !errors.Is(err, ErrBusy) {
		t.Fatalf("another message took over a claim before its lease ended: %v", err)
	}
	if c, dup, err = st.ClaimKey(ctx, rec, time.Minute); err != nil || dup != nil {
		t.Fatalf("takeover by the same message: %v %v", err, dup)
	}
	if err := st.Done(ctx, c, "job-1", "sha256:x"); err != nil {
		t.Fatal(err)
	}
	_, dup, err = st.ClaimKey(ctx, other, time.Minute)
	if err != nil || dup == nil || dup.State != IdemDone || dup.ResultID != "job-1" || dup.Journal != 1 {
		t.Fatalf("claim of a done key: %+v %v", dup, err)
	}
	if got, err := st.Lookup(ctx, "orders", "jobs", "SO1"); err != nil || got == nil || got.State != IdemDone {
		t.Fatalf("lookup: %+v %v", got, err)
	}
}

// TestOpenKeepsServesSettings: serve configures the streams (Configure);
// another command opening the same store uses them as they are instead of
// resetting them to its own defaults.
func TestOpenKeepsServesSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, Options{DataDir: dir, JournalMaxAge: time.Hour, Configure: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, Options{DataDir: dir}) // attaches, defaults: 7 days
	if err != nil {
		t.Fatal(err)
	}
	info, err := other.Journal.Info(ctx)
	other.Close()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.MaxAge != time.Hour {
		t.Fatalf("journal max age %v after another command opened the store, want serve's 1h", info.Config.MaxAge)
	}
}
