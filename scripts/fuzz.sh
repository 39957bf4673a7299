#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time each: go test -fuzz
# takes one target at a time, so list them and loop.
set -euo pipefail
fuzztime=${1:-5s}
cd "$(dirname "$0")/.."
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/fuzz-$$.log 2>&1; then
      cat /tmp/fuzz-$$.log
      status=1
    fi
  done
done
rm -f /tmp/fuzz-$$.log
exit $status
