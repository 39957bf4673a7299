#!/usr/bin/env bash
# Rows "spcloud --version" and "spcloud tenant list --json": whole processes,
# timed side by side with their baselines, interleaved (one run of each
# command per round, RUNS rounds), medians compared.
#
#   bench/startup.sh            # builds bench/out/spcloud, RUNS=30
#   SPCLOUD=/path/to/spcloud RUNS=50 bench/startup.sh
#
# It starts an emulator on a free loopback port, logs in to it through the
# real browser flow (curl plays the browser; the emulator auto-approves) in
# a temporary project, and times:
#   spcloud --version        vs  curl --version, gh --version
#   spcloud tenant list --json  vs  curl GET /api/v1/auth/me (same emulator,
#                                   same token)
# Timing uses bash's $EPOCHREALTIME around each process (no extra fork).
# Only loopback addresses are contacted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}

need_apt curl curl || { echo "curl is needed and could not be installed" >&2; exit 1; }
HAVE_GH=1
need_apt gh gh || { HAVE_GH=0; echo "NOTE: gh is not installed and could not be installed: the gh column is absent" >&2; }
SPCLOUD=$(spcloud_bin)

start_emulator "$SPCLOUD" --step-delay 20ms
PROJ=$WORK/project
login "$SPCLOUD" "$PROJ"
unset SYSTEMPROMPT_API_TOKEN SYSTEMPROMPT_PROFILE SYSTEMPROMPT_API_URL
cd "$PROJ"
# Two tenants to list, bought through the real flow (curl pays; the
# emulator auto-approves), so the answer is not an empty list.
for _ in 1 2; do
	SPCLOUD_BROWSER=$WORK/browser "$SPCLOUD" tenant create --plan pro --region fra --timeout 20s >/dev/null 2>"$WORK/create.err" ||
		{ echo "tenant create failed: $(cat "$WORK/create.err")" >&2; exit 1; }
done
# Both commands must succeed and show the same two tenants before timing.
"$SPCLOUD" tenant list --json >"$WORK/list.json"
curl -sf --noproxy '*' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/auth/me" >"$WORK/me.json"
[ "$(grep -c '"subscription_id"' "$WORK/list.json")" = 2 ] && [ "$(grep -o '"subscription_id"' "$WORK/me.json" | wc -l)" = 2 ] ||
	{ echo "spcloud tenant list and /auth/me do not both show the two tenants" >&2; exit 1; }

NAMES=()
CMDS=()
add() { NAMES+=("$1"); shift; CMDS+=("$(printf '%q ' "$@")"); }
add "spcloud --version" "$SPCLOUD" --version
add "curl --version" curl --version
[ "$HAVE_GH" = 1 ] && add "gh --version" gh --version
add "spcloud --help" "$SPCLOUD" --help
add "spcloud tenant list --json" "$SPCLOUD" tenant list --json
add "curl GET /auth/me" curl -sf --noproxy '*' -H "Authorization: Bearer $TOKEN" -o /dev/null "$URL/api/v1/auth/me"

# time_one I: run command I once, append its wall time (µs) to its file.
time_one() {
	local t0 t1
	t0=$EPOCHREALTIME
	eval "${CMDS[$1]}" >/dev/null 2>&1 </dev/null || { echo "failed: ${NAMES[$1]}" >&2; exit 1; }
	t1=$EPOCHREALTIME
	echo $(( ${t1/./} - ${t0/./} )) >>"$WORK/t.$1"
}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq "$WARMUP"); do for i in "${!CMDS[@]}"; do time_one "$i"; done; done
for i in "${!CMDS[@]}"; do : >"$WORK/t.$i"; done
for _ in $(seq "$RUNS"); do for i in "${!CMDS[@]}"; do time_one "$i"; done; done

# stat I: "median min max" in ms.
stat() { sort -n "$WORK/t.$1" | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f %.2f %.2f\n", m/1000, v[1]/1000, v[NR]/1000}'; }
med() { stat "$1" | cut -d' ' -f1; }
idx() { local i; for i in "${!NAMES[@]}"; do [ "${NAMES[$i]}" = "$1" ] && echo "$i" && return; done; echo -1; }

echo "startup: $RUNS interleaved runs each, $(nproc) cores, load before $LOAD0 after $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
printf '  %-30s %10s %10s %10s\n' command median_ms min_ms max_ms
for i in "${!NAMES[@]}"; do
	read -r m lo hi < <(stat "$i")
	printf '  %-30s %10s %10s %10s\n' "${NAMES[$i]}" "$m" "$lo" "$hi"
done
ratio() { awk -v a="$(med "$(idx "$1")")" -v b="$(med "$(idx "$2")")" 'BEGIN {printf "%.2f", a/b}'; }
V=$(med "$(idx "spcloud --version")")
echo "ROW startup  spcloud --version ${V}ms  curl --version $(med "$(idx "curl --version")")ms  ratio/curl $(ratio "spcloud --version" "curl --version")" \
	"$( [ "$HAVE_GH" = 1 ] && echo " gh --version $(med "$(idx "gh --version")")ms  ratio/gh $(ratio "spcloud --version" "gh --version") (target <= 15ms and <= 0.35x gh)" || echo " gh column absent (target <= 15ms)")"
echo "ROW list     spcloud tenant list --json $(med "$(idx "spcloud tenant list --json")")ms  curl /auth/me $(med "$(idx "curl GET /auth/me")")ms  ratio $(ratio "spcloud tenant list --json" "curl GET /auth/me") (target <= 1.5)"
