#!/usr/bin/env bash
# The profiles behind BENCHMARKS.md's findings, written to bench/out/profile/:
#   - GODEBUG=inittrace=1 of `spcloud --version`: package init cost, top ten
#   - pprof of the in-process start (command tree + --version / --help)
#   - pprof of api.Client.Me and of bare net/http against the same emulator
#   - syscalls of `spcloud --version` (strace -c, when strace is there)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
P=$OUT/profile
mkdir -p "$P"
SPCLOUD=$(spcloud_bin)
cd "$ROOT"

echo "== GODEBUG=inittrace=1 spcloud --version (5 runs: packages, init ms, bytes)"
for _ in 1 2 3 4 5; do
	GODEBUG=inittrace=1 "$SPCLOUD" --version 2>&1 >/dev/null | awk '/^init/ {t+=$5; a+=$8; n++} END {printf "  %d packages, %.2f ms, %d bytes\n", n, t, a}'
done
GODEBUG=inittrace=1 "$SPCLOUD" --version 2>"$P/inittrace.txt" >/dev/null
echo "  slowest:"
sort -k5 -g -r "$P/inittrace.txt" | head -10 | awk '{printf "    %-60s %s ms %s bytes\n", $2, $5, $8}' || true
echo "  spcloud's own packages:"
grep 'spcloud/spcloud' "$P/inittrace.txt" | awk '{printf "    %-60s %s ms %s bytes\n", $2, $5, $8}'

go test -c -o "$P/bench.test" ./bench
echo "== pprof: in-process start (BenchmarkStartupVersion)"
(cd bench && "$P/bench.test" -test.run XXX -test.bench 'StartupVersion$' -test.benchmem -test.cpuprofile "$P/startup.cpu.prof") | grep Benchmark
go tool pprof -top -cum "$P/bench.test" "$P/startup.cpu.prof" 2>/dev/null | grep -E 'spcloud|cobra|pflag' | head -8 || true

echo "== pprof: api.Client.Me vs bare net/http (same in-process emulator)"
(cd bench && "$P/bench.test" -test.run XXX -test.bench 'Me(Spcloud|NetHTTP)$' -test.benchtime 2s -test.benchmem) | grep Benchmark
(cd bench && "$P/bench.test" -test.run XXX -test.bench 'MeSpcloud$' -test.benchtime 2s -test.cpuprofile "$P/me.cpu.prof") >/dev/null
echo "  api package share of the CPU (cumulative):"
go tool pprof -top -cum "$P/bench.test" "$P/me.cpu.prof" 2>/dev/null | grep -E 'spcloud/api|Redact|redact' | head -8 || true

if command -v strace >/dev/null; then
	echo "== strace -c -f spcloud --version (files opened: none of the project's)"
	strace -f -e trace=%file "$SPCLOUD" --version 2>&1 >/dev/null | grep -E 'open|stat' | grep -v -E '/proc/|/sys/|ld.so|libc|/lib/' | sed 's/^/  /' || true
fi
echo "profiles in $P"
