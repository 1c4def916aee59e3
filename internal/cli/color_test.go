package cli

import (
	"bytes"
	"os"
	"testing"
)

// TestColorOnlyOnTerminals checks that colour is never used for pipes or
// buffers, and never when NO_COLOR is set, even on a terminal.
func TestColorOnlyOnTerminals(t *testing.T) {
	if wantColor(&bytes.Buffer{}) {
		t.Error("colour for a buffer")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if wantColor(w) {
		t.Error("colour for a pipe")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		t.Setenv("NO_COLOR", "1")
		if wantColor(tty) {
			t.Error("colour on a terminal despite NO_COLOR")
		}
	}
}
