// Command edibench prints the EDI figures of make bench: tokenizer and
// full-validation throughput on a generated interchange of 856s and 214s,
// each with the ratio to a floor measured in the same run (a plain scan for
// the segment terminator over the same buffer), and the peak RSS of
// `flowctl edi validate -` streaming a larger generated file.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/flowctl/flowctl/edi"
)

func main() {
	sizeMB := flag.Int("size-mb", 200, "in-memory interchange size for throughput")
	rssMB := flag.Int("rss-mb", 1024, "streamed size for the RSS figure (0: skip)")
	bin := flag.String("flowctl", "bin/flowctl", "flowctl binary for the RSS figure")
	flag.Parse()
	// The RSS figure comes first, while this process is small: a child's
	// ru_maxrss includes what it shared with its parent before exec.
	if *rssMB > 0 {
		if err := rss(*bin, *rssMB); err != nil {
			fail(err)
		}
	}
	data := Generate(*sizeMB << 20)
	mb := float64(len(data)) / (1 << 20)

	floor := timeIt(func() {
		n := 0
		for rest := data; ; {
			i := bytes.IndexByte(rest, '~')
			if i < 0 {
				break
			}
			n++
			rest = rest[i+1:]
		}
		_ = n
	})
	tok := timeIt(func() {
		r := edi.NewReader(bytes.NewReader(data), edi.ReaderOptions{})
		for {
			if _, err := r.Next(); err != nil {
				if err != io.EOF {
					fail(err)
				}
				return
			}
		}
	})
	val := timeIt(func() {
		rep, err := edi.ValidateStream(bytes.NewReader(data), edi.ReportOptions{Strict: true})
		if err != nil {
			fail(err)
		}
		if !rep.Valid {
			fail(fmt.Errorf("generated interchange is invalid: %v", rep.Issues[0]))
		}
	})
	fmt.Printf("EDI %0.f MiB interchange of 856s and 214s:\n", mb)
	fmt.Printf("  floor (scan for '~'):     %8.0f MB/s\n", mb/floor.Seconds())
	fmt.Printf("  tokenizer:                %8.0f MB/s  ratio %.2f\n", mb/tok.Seconds(), floor.Seconds()/tok.Seconds())
	fmt.Printf("  full validation (strict): %8.1f MB/s  ratio %.3f\n", mb/val.Seconds(), floor.Seconds()/val.Seconds())
}

func timeIt(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "edibench:", err)
	os.Exit(1)
}

// rss streams a generated interchange of size MiB into flowctl edi validate.
func rss(bin string, sizeMB int) error {
	cmd := exec.Command(bin, "edi", "validate", "-")
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		Stream(in, sizeMB<<20)
		in.Close()
	}()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("flowctl edi validate: %w", err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Printf("  flowctl edi validate streaming %d MiB: %.1fs, peak RSS %.1f MiB\n", sizeMB, time.Since(start).Seconds(), float64(ru.Maxrss)/1024)
	return nil
}

// Generate returns an interchange of about size bytes.
func Generate(size int) []byte {
	var b bytes.Buffer
	Stream(&b, size)
	return b.Bytes()
}

// Stream writes an interchange of about size bytes: groups of at most
// 5,000 sets (ST02 has 4 digits), alternating 856 ship notices and 214
// status messages.
func Stream(w io.Writer, size int) {
	var b strings.Builder
	written := 0
	flush := func() {
		n, _ := io.WriteString(w, b.String())
		written += n
		b.Reset()
	}
	b.WriteString("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~\n")
	groups, inGroup, n := 0, 0, 0
	for written+b.Len() < size || n == 0 {
		if inGroup == 0 {
			groups++
			fmt.Fprintf(&b, "GS*SH*S*R*20240101*1200*%d*X*004010~\n", groups)
		}
		n++
		inGroup++
		ctl := fmt.Sprintf("%04d", inGroup)
		segs := 0
		add := func(s string) { b.WriteString(s); b.WriteString("~\n"); segs++ }
		if n%2 == 1 {
			add("ST*856*" + ctl)
			add("BSN*00*SHIP" + ctl + "*20240101*1200*0001")
			add("HL*1**S")
			add("TD1*CTN*10****G*120.5*LB")
			add("TD5**2*SCAC*M*CARRIER")
			add("REF*BM*BOL" + ctl)
			add("N1*ST*CONSIGNEE LLC*92*ST01")
			add("N4*CHICAGO*IL*60601*US")
			add("HL*2*1*O")
			add("PRF*PO" + ctl + "***20240101")
			hl := 2
			for p := 0; p < 4; p++ {
				hl++
				pack := hl
				add(fmt.Sprintf("HL*%d*2*P", pack))
				add("MAN*GM*000123456700000001")
				hl++
				add(fmt.Sprintf("HL*%d*%d*I", hl, pack))
				add("LIN**UP*012345678905*VP*PART-1")
				add("SN1**24*EA")
			}
			add(fmt.Sprintf("CTT*%d", hl))
		} else {
			add("ST*214*" + ctl)
			add("B10*PRO" + ctl + "*SHIP" + ctl + "*SCAC")
			add("N1*SH*SHIPPER INC*92*SF01")
			for e := 1; e <= 3; e++ {
				add(fmt.Sprintf("LX*%d", e))
				add("AT7*X6*NS***20240101*1200*CT")
				add("MS1*CHICAGO*IL*US")
			}
		}
		fmt.Fprintf(&b, "SE*%d*%s~\n", segs+1, ctl)
		if inGroup == 5000 {
			fmt.Fprintf(&b, "GE*%d*%d~\n", inGroup, groups)
			inGroup = 0
		}
		if b.Len() > 1<<20 {
			flush()
		}
	}
	if inGroup > 0 {
		fmt.Fprintf(&b, "GE*%d*%d~\n", inGroup, groups)
	}
	fmt.Fprintf(&b, "IEA*%d*000000001~\n", groups)
	flush()
}
