package durable

import (
	"encoding/json"
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
