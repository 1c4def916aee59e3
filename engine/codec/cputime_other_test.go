//go:build !unix

package codec

func cpuTime() int64 { return 0 }
