#!/usr/bin/env bash
# Row "file store: tenants.json read-modify-write with the lock, 8
# processes": eight bench/cmd/storeworker processes update one tenants.json
# at once through store.UpdateTenants; the file's counter must equal the
# number of updates (none lost). Side by side: the same eight processes
# doing bare locked writes (flock, write, fsync, rename, fsync the folder,
# no JSON), the floor this disk sets. Rounds alternate.
#
#   bench/store.sh              # PROCS=8 N=250 ROUNDS=3
set -euo pipefail
. "$(dirname "$0")/lib.sh"
PROCS=${PROCS:-8}
N=${N:-250}
ROUNDS=${ROUNDS:-3}
(cd "$ROOT" && go build -o "$OUT/storeworker" ./bench/cmd/storeworker)
# The files live where a project would: on the disk under $ROOT/bench/out,
# not on a tmpfs.
DIR=$OUT/store
echo "store: $PROCS processes x $N updates, $ROUNDS rounds, filesystem $(df -T "$OUT" | awk 'NR==2 {print $2}'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"

# round MODE: prints updates/s of all processes together.
round() {
	local mode=$1 flag="" i
	[ "$mode" = bare ] && flag=-baseline
	rm -rf "$DIR" && mkdir -p "$DIR/.systemprompt"
	local file=$DIR/.systemprompt/tenants.json
	local start=$(( $(date +%s%N) + 200000000 ))
	local t0=$EPOCHREALTIME
	for i in $(seq "$PROCS"); do
		"$OUT/storeworker" -file "$file" -worker "$i" -n "$N" $flag -start "$start" >"$WORK/w.$i" &
	done
	wait
	local t1=$EPOCHREALTIME
	"$OUT/storeworker" -file "$file" -check $((PROCS * N)) $flag >"$WORK/check" || { cat "$WORK/check"; exit 1; }
	# Elapsed from the common start to the last worker's end.
	local us=$(( ${t1/./} - start / 1000 ))
	awk -v n=$((PROCS * N)) -v us="$us" 'BEGIN {printf "%.0f", n / (us / 1e6)}'
}

S=()
B=()
for _ in $(seq "$ROUNDS"); do
	B+=("$(round bare)")
	S+=("$(round store)")
done
med() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
mm() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {printf "min %s max %s", v[1], v[NR]}'; }
echo "  bare locked writes: ${B[*]} updates/s"
echo "  store.UpdateTenants: ${S[*]} updates/s (none lost in any round)"
echo "ROW store  $PROCS processes: store.UpdateTenants median $(med "${S[@]}")/s ($(mm "${S[@]}"))  bare locked write+fsync median $(med "${B[@]}")/s ($(mm "${B[@]}"))  ratio $(awk -v a="$(med "${S[@]}")" -v b="$(med "${B[@]}")" 'BEGIN {printf "%.2f", a/b}')  (target >= 500/s, none lost)"
