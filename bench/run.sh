#!/usr/bin/env bash
# make bench: every row of BENCHMARKS.md, each side by side with its
# baseline in the same run, then a summary of the ROW lines.
#
#   make bench                       # or bench/run.sh
#   QUIET_LOAD=0.7 QUIET_WAIT=300    # wait for a quiet machine first (defaults)
#   ROWS="startup go fanout store"   # a subset
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-startup go fanout store}
cd "$ROOT"
LOG=$OUT/bench-$(date -u +%Y%m%dT%H%M%SZ).txt
export SPCLOUD
SPCLOUD=$(spcloud_bin)

{
	echo "spcloud bench: $(uname -sm), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -m | awk '/Mem:/ {print $2" MiB"}'), $(go version | cut -d' ' -f3), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%MZ)"
	for row in $ROWS; do
		quiet_machine
		case $row in
		startup) bench/startup.sh ;;
		go) SPCLOUD_BENCH=1 go test ./bench -run 'TestClientRate|TestWaitLatency' -count=1 -v -timeout 30m | grep -v '^=== \|^    .*_test.go' ;;
		fanout) bench/fanout.sh ;;
		store) bench/store.sh ;;
		*) echo "unknown row $row" >&2; exit 2 ;;
		esac
	done
} 2>&1 | tee "$LOG"
echo
echo "== summary (also in $LOG)"
grep '^ROW' "$LOG" | sed 's/^ROW //'
