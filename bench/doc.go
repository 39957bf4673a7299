// Package bench holds spcloud's side-by-side benchmarks: each row of
// BENCHMARKS.md measures spcloud next to a baseline in the same run.
//
// Run them all with `make bench` (bench/run.sh). The Go rows are tests that
// skip unless SPCLOUD_BENCH=1, so `go test ./...` stays quick:
//
//	SPCLOUD_BENCH=1 go test ./bench -run . -v -count=1
//
// bench/cmd holds the helper programs of the process-level rows: the
// subscriber fleet (fanout) and the file-store worker (storeworker).
package bench
