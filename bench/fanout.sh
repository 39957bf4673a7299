#!/usr/bin/env bash
# Row "emulator: concurrent event-stream subscribers on one tenant": the
# emulator runs as its own process (the built spcloud binary); bench/cmd/fanout
# opens N streams on one tenant, makes it emit an event, and times its
# arrival at every subscriber, reading the emulator's VmRSS/VmHWM.
#
#   bench/fanout.sh             # N=10000 TRIALS=3
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${N:-10000}
TRIALS=${TRIALS:-3}

# Each side holds N sockets: raise the open-file limit as far as allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((N + 100)) ]; then
	echo "NOTE: open-file limit $(ulimit -n) is below $N subscribers" >&2
fi
need_apt curl curl || { echo "curl is needed" >&2; exit 1; }
SPCLOUD=$(spcloud_bin)
(cd "$ROOT" && go build -o "$OUT/fanout" ./bench/cmd/fanout)

# A long step delay: the fleet opens between a restart's first event and
# its second, which is the one timed (fanout -step must match).
STEP=${STEP:-5s}
start_emulator "$SPCLOUD" --step-delay "$STEP" --heartbeat 15s
login "$SPCLOUD" "$WORK/project"
echo "fanout: emulator pid $EMU_PID, open-file limit $(ulimit -n), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
"$OUT/fanout" -url "$URL" -token "$TOKEN" -pid "$EMU_PID" -n "$N" -trials "$TRIALS" -step "$STEP"
