//go:build unix

package codec

import "syscall"

// cpuTime is the process's user+system CPU time in nanoseconds, so
// benchmarks can report a rate that a busy machine does not distort.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
