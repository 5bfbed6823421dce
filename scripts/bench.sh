#!/usr/bin/env bash
# hullscan beside syft and trivy, on the same machine in the same run: SBOM generation for the Debian fixture image
# (docker-archive), cold (every tool with an empty cache) and warm (the same scan again), beside the floor: the time
# to only decompress the image's layers (gzip -dc, one process per layer, as many at once as there are cores).
# Then the same for the image with a 1 GiB filler layer, to show memory stays flat as images grow.
#
# Needs: ./hullscan (make build), the Debian fixture (make fixture), GNU time, and the peers on PATH or in
# $(go env GOPATH)/bin — install them with:
#   go install github.com/anchore/syft/cmd/syft@v1.57.1
#   GOEXPERIMENT=jsonv2 go install github.com/aquasecurity/trivy/cmd/trivy@v0.74.0
# A missing peer is reported as such, never silently dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$(go env GOPATH)/bin"
OUT=${BENCH_DIR:-${TMPDIR:-/tmp}/hullscan-bench}
HULLSCAN=${HULLSCAN:-./hullscan}
mkdir -p "$OUT"
command -v /usr/bin/time >/dev/null || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 2; }
[ -x "$HULLSCAN" ] || { echo "bench: $HULLSCAN missing: make build" >&2; exit 2; }

if [ ! -f "$OUT/debian.tar" ] || [ ! -f "$OUT/filler.tar" ]; then
  echo "writing benchmark images to $OUT (once)..." >&2
  HULLSCAN_BENCH_OUT="$OUT" go test -count=1 -timeout 60m -run '^TestWriteBenchImages$' ./internal/scan >/dev/null
fi

export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_NO_PROGRESS=true TRIVY_DISABLE_TELEMETRY=true

# measure LABEL CMD...: runs CMD under GNU time, prints "wall_seconds peak_rss_kib" to stdout, and the label line.
measure() {
  local label=$1; shift
  local tf; tf=$(mktemp)
  if ! /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$OUT/last.out" 2>"$OUT/last.err"; then
    echo "bench: $label failed:" >&2; tail -5 "$OUT/last.err" >&2
    rm -f "$tf"; echo "- -"; return 0
  fi
  tail -1 "$tf"; rm -f "$tf"
}

floor() { # decompress every layer blob of a docker-archive, in parallel
  local img=$1 dir="$OUT/$(basename "$1" .tar)-x"
  if [ ! -d "$dir" ]; then mkdir -p "$dir" && tar -xf "$img" -C "$dir"; fi
  local layers; layers=$(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$dir/manifest.json")
  (cd "$dir" && measure floor bash -c "printf '%s\n' $(echo $layers | tr '\n' ' ') | xargs -P $(nproc) -n 1 sh -c 'gzip -dc \"\$0\" >/dev/null'")
}

row() { printf '%-10s %-9s %-6s %9s %10s\n' "$@"; }
mib() { [ "$1" = - ] && echo - || echo $(( $1 / 1024 )); }

bench_image() {
  local img=$1 name=$2
  echo
  echo "== $name: $(du -h "$img" | cut -f1) docker-archive, $(nproc) cores"
  row tool mode "" "wall s" "peak MiB"
  read -r t m < <(floor "$img"); row floor decompress "" "$t" "$(mib "$m")"
  local C="$OUT/cache"
  for mode in cold warm; do
    [ $mode = cold ] && rm -rf "$C" && mkdir -p "$C"
    read -r t m < <(measure "hullscan $mode" "$HULLSCAN" sbom "$img" --format cyclonedx -o "$OUT/hullscan.cdx.json" --cache-dir "$C/hullscan" -q)
    row hullscan $mode "" "$t" "$(mib "$m")"
    if command -v syft >/dev/null; then
      read -r t m < <(measure "syft $mode" env SYFT_CACHE_DIR="$C/syft" syft scan "docker-archive:$img" -o "cyclonedx-json=$OUT/syft.cdx.json" -q)
      row syft $mode "" "$t" "$(mib "$m")"
    else row syft $mode "" "not installed" ""; fi
    if command -v trivy >/dev/null; then
      read -r t m < <(measure "trivy $mode" trivy image --input "$img" --format cyclonedx --output "$OUT/trivy.cdx.json" --cache-dir "$C/trivy" --skip-db-update --skip-java-db-update --offline-scan --scanners vuln --quiet)
      row trivy $mode "" "$t" "$(mib "$m")"
    else row trivy $mode "" "not installed" ""; fi
  done
}

bench_image "$OUT/debian.tar" "Debian 12 fixture (3 layers)"
bench_image "$OUT/filler.tar" "Debian 12 fixture + 1 GiB filler layer"
echo
echo "Go benchmarks (internal/scan):"
go test -run '^$' -bench 'ScanDebian' -benchmem -count=1 ./internal/scan | grep -E '^Benchmark'
