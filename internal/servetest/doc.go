// Package servetest holds the end-to-end tests of flowctl serve: the
// flowctl binary runs as real processes on loopback against an HTTP
// target in the test process that honours Idempotency-Key, and is killed,
// stopped, starved of disk and cut off from its target on purpose. The
// package has no code besides its tests.
package servetest
