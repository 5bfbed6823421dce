#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time each (default 10s): `scripts/fuzz.sh 30s`.
# Targets are found, not listed, so a new parser's fuzz target runs without anyone editing this file.
set -euo pipefail
T=${1:-10s}
cd "$(dirname "$0")/.."
fail=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $f ($T)"
    if ! go test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$T" -fuzzminimizetime 100x >/tmp/fuzz-$f.log 2>&1; then
      cat /tmp/fuzz-$f.log; fail=1
    fi
  done
done
exit $fail
