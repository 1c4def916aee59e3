package sftp_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"os"
	"testing"
	"time"

	connsftp "github.com/flowctl/flowctl/connectors/sftp"
	"github.com/flowctl/flowctl/internal/sftptest"
)

// BenchmarkSFTPDownload downloads a 100 MB file over SFTP on loopback (the
// in-process test server, one connection, pkg/sftp's concurrent reads) and
// compares it with io.Copy from a local file. Reported: sftp_MB/s,
// local_MB/s, sftp/local (the ratio), and fetch_MB/s — download into a
// staging file through SHA-256, as the sftp source does.
func BenchmarkSFTPDownload(b *testing.B) {
	const size = 100 << 20
	s := sftptest.New(b, sftptest.Options{})
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(s.Path("/big.bin"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	data = nil
	cfg := config(s)
	cfg.HostKey = s.Fingerprint()
	c, err := connsftp.Dial(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	stage := b.TempDir()

	var sftpDur, localDur, fetchDur time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		f, err := c.SFTP.Open("/big.bin")
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, f)
		f.Close()
		if err != nil || n != size {
			b.Fatalf("downloaded %d bytes: %v", n, err)
		}
		sftpDur += time.Since(start)

		b.StopTimer()
		start = time.Now()
		lf, err := os.Open(s.Path("/big.bin"))
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, lf); err != nil || n != size {
			b.Fatalf("local copy %d: %v", n, err)
		}
		lf.Close()
		localDur += time.Since(start)

		start = time.Now()
		f, _ = c.SFTP.Open("/big.bin")
		tmp, _ := os.CreateTemp(stage, "fetch-*")
		h := sha256.New()
		if n, err := io.Copy(io.MultiWriter(tmp, h), f); err != nil || n != size {
			b.Fatalf("fetch %d: %v", n, err)
		}
		f.Close()
		tmp.Close()
		os.Remove(tmp.Name())
		fetchDur += time.Since(start)
		b.StartTimer()
	}
	mb := float64(size) / 1e6 * float64(b.N)
	b.ReportMetric(mb/sftpDur.Seconds(), "sftp_MB/s")
	b.ReportMetric(mb/localDur.Seconds(), "local_MB/s")
	b.ReportMetric(localDur.Seconds()/sftpDur.Seconds(), "sftp/local")
	b.ReportMetric(mb/fetchDur.Seconds(), "fetch_MB/s")
}
