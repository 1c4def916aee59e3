package sftp_test

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/enginetest"
	"github.com/flowctl/flowctl/internal/sftptest"
	"github.com/pkg/sftp"
)

// TestConformance runs the connector conformance suite against the SFTP
// source (archived after acknowledgement) and target, on an in-process
// SFTP server on loopback.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	failing := 0
	var failWith error
	s := sftptest.New(t, sftptest.Options{Fail: func(method, p string) error {
		mu.Lock()
		defer mu.Unlock()
		if failing > 0 && (method == "Put" || method == "Open") && strings.HasPrefix(p, "/in/") {
			failing--
			return failWith
		}
		return nil
	}})
	os.MkdirAll(s.Path("/out"), 0o755)
	os.MkdirAll(s.Path("/in"), 0o755)
	t.Setenv("SFTP_PASSWORD", s.Password)
	config := connBlock(s, s.WriteKnownHosts(t)) + `
connection "sftp" "drop" {
  host        = "` + s.Host + `"
  port        = ` + strconv.Itoa(s.Port) + `
  username    = "` + s.User + `"
  password    = secret("SFTP_PASSWORD")
  host_key    = "` + s.Fingerprint() + `"
}
flow "conf" {
  source "sftp" {
    connection = connection.sftp.partner
    dir        = "/out"
    glob       = "*.ndjson"
    every      = "100ms"
  }
  target "sftp" "out" {
    connection = connection.sftp.drop
    dir        = "/in"
    # received_at keeps names of different runs apart
    filename   = "'rec-' + string(record.n) + '-' + string(meta.received_at.UnixNano()) + '.ndjson'"
  }
}
`
	enginetest.Run(t, enginetest.Harness{
		Config:         config,
		BadConfig:      strings.Replace(config, `  host_key    = "`+s.Fingerprint()+`"`, "", 1),
		BadConfigError: "host keys are always verified",
		Seed: func(t *testing.T, n int) {
			var b strings.Builder
			for i := 1; i <= n; i++ {
				fmt.Fprintf(&b, "{\"n\":%d}\n", i)
			}
			put(t, s, "/out/batch.ndjson", b.String(), time.Hour)
		},
		AfterRun: func(t *testing.T) {
			if _, err := os.Stat(s.Path("/out/archive/batch.ndjson")); err != nil {
				t.Fatalf("not archived after every message was acknowledged: %v", err)
			}
		},
		Written: func(t *testing.T) []int {
			entries, _ := os.ReadDir(s.Path("/in"))
			type file struct {
				n  int
				at int64 // meta.received_at from the name: input order
			}
			var files []file
			for _, e := range entries {
				name := e.Name()
				if !strings.HasPrefix(name, "rec-") || !strings.HasSuffix(name, ".ndjson") {
					continue
				}
				num, nanos, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(name, "rec-"), ".ndjson"), "-")
				n, err := strconv.Atoi(num)
				if err != nil {
					continue
				}
				at, _ := strconv.ParseInt(nanos, 10, 64)
				files = append(files, file{n, at})
			}
			sort.Slice(files, func(i, j int) bool {
				if files[i].at != files[j].at {
					return files[i].at < files[j].at
				}
				return files[i].n < files[j].n
			})
			var got []int
			for _, f := range files {
				got = append(got, f.n)
			}
			return got
		},
		FailNext: func(_ *testing.T, k int, retryable bool) {
			mu.Lock()
			defer mu.Unlock()
			failing = k
			failWith = sftp.ErrSSHFxPermissionDenied
			if retryable {
				failWith = sftp.ErrSSHFxFailure
			}
		},
	})
}
