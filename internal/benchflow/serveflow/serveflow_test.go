package serveflow

import (
	"context"
	"testing"
	"time"
)

// TestMeasurements keeps the benchmark honest on a small scale: the flow
// delivers every record under run and serve, to the file and HTTP targets,
// and the paced feed keeps its rate.
func TestMeasurements(t *testing.T) {
	ctx := context.Background()
	ht := StartHTTPTarget()
	defer ht.Close()
	for _, kind := range []string{"file", "http"} {
		if _, err := Run(ctx, kind, ht, 300); err != nil {
			t.Fatalf("run %s: %v", kind, err)
		}
		res, err := Durable(ctx, DurableOptions{Target: kind, HTTP: ht, N: 300})
		if err != nil {
			t.Fatalf("durable %s: %v", kind, err)
		}
		if len(res.Latencies) != 300 || res.Percentile(1) <= 0 {
			t.Errorf("%s: %d latencies, max %s", kind, len(res.Latencies), res.Percentile(1))
		}
	}
	if got := ht.Requests.Load(); got != 600 {
		t.Errorf("HTTP target took %d requests, want 600", got)
	}
	res, err := Durable(ctx, DurableOptions{N: 200, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Elapsed < 190*time.Millisecond {
		t.Errorf("paced at 1000/s, 200 messages took %s", res.Elapsed)
	}
}
