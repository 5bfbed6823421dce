#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time each (default 10s): `scripts/fuzz.sh 30s`.
# Targets are found, not listed, so a new parser's fuzz target runs without anyone editing this file.
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" when -fuzztime runs out
# while a worker is mid-call (golang/go#75804, fixed in Go 1.27). So the fuzzing runs on the Go 1.27 toolchain
# when the module proxy serves it (FUZZ_GOTOOLCHAIN to choose another, or "local"), and a bare deadline failure
# that wrote no failing input is retried once before it counts. A real finding always writes its input under
# testdata/fuzz/ and fails the run.
set -euo pipefail
T=${1:-10s}
cd "$(dirname "$0")/.."
tc=${FUZZ_GOTOOLCHAIN:-go1.27.3}
if [ "$tc" != local ] && ! GOTOOLCHAIN=$tc go version >/dev/null 2>&1; then
  echo "fuzz: toolchain $tc unavailable, fuzzing with $(go version)" >&2
  tc=local
fi
export GOTOOLCHAIN=$tc
log=$(mktemp)
trap 'rm -f "$log"' EXIT

fuzz1() { # pkg target
  go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$T" -fuzzminimizetime 100x >"$log" 2>&1
}
bare_deadline() {
  grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written\|panic:' "$log"
}

fail=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $f ($T)"
    if fuzz1 "$pkg" "$f"; then
      continue
    fi
    if bare_deadline; then
      echo "fuzz: $f stopped with a bare deadline error and no failing input; retrying once" >&2
      if fuzz1 "$pkg" "$f"; then
        continue
      fi
    fi
    cat "$log"
    fail=1
  done
done
exit $fail
