#!/usr/bin/env bash
# hullscan beside syft and trivy, on the same machine in the same run: SBOM generation for the Debian fixture image
# (docker-archive), cold (every tool with an empty cache) and warm (the same scan again), beside the floor: the time
# to only decompress the image's layers (gzip -dc, one process per layer, as many at once as there are cores).
# Then the same for the image with a 1 GiB filler layer, to show memory stays flat as images grow; then two
# language trees (a node_modules tree of 1,000+ packages, a folder of 50+ jars). After each table, the issues'
# targets are checked against its numbers; docs/bench.md records runs and their variance.
# "Cold" means every tool's own cache directory is empty; the OS page cache is warm for all of them alike (the
# images were just written or read), so no tool pays for the disk.
#
# Then the vulnerability database (build time and size) and a scan of the Debian image with it beside osv-scanner.
#
# Needs: ./hullscan (make build), the Debian fixture (make fixture), GNU time, the shared advisory data
# (../shared/vulndata or $HULLSCAN_VULNDATA), and the peers on PATH or in $(go env GOPATH)/bin — install them with:
#   go install github.com/anchore/syft/cmd/syft@v1.57.1
#   GOEXPERIMENT=jsonv2 go install github.com/aquasecurity/trivy/cmd/trivy@v0.74.0
#   go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0
# A missing peer is reported as such, never silently dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$(go env GOPATH)/bin"
OUT=${BENCH_DIR:-${TMPDIR:-/tmp}/hullscan-bench}
HULLSCAN=${HULLSCAN:-./hullscan}
mkdir -p "$OUT"
command -v /usr/bin/time >/dev/null || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 2; }
[ -x "$HULLSCAN" ] || { echo "bench: $HULLSCAN missing: make build" >&2; exit 2; }

if [ ! -f "$OUT/debian.tar" ] || [ ! -f "$OUT/filler.tar" ] || [ internal/scan/bench_test.go -nt "$OUT/filler.tar" ]; then
  echo "writing benchmark images to $OUT (once)..." >&2
  HULLSCAN_BENCH_OUT="$OUT" go test -count=1 -timeout 60m -run '^TestWriteBenchImages$' ./internal/scan >/dev/null
fi

export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_NO_PROGRESS=true TRIVY_DISABLE_TELEMETRY=true

# BENCH_PRIORITY=-15 (root): on a machine whose cores other work shares, run every measured command at that
# priority, so that wall time is not mostly time spent waiting for the CPU. With autogroup scheduling (on where
# /proc/sys/kernel/sched_autogroup_enabled is 1, as on this project's machines) nice alone does nothing against other
# sessions' processes, so the session's autogroup is reniced too, and put back on exit. The tools compete on equal
# terms either way.
if [ -n "${BENCH_PRIORITY:-}" ]; then
  renice -n "$BENCH_PRIORITY" -p $$ >/dev/null || echo "bench: could not renice to $BENCH_PRIORITY (root only)" >&2
  if [ "$(id -u)" = 0 ] && [ -w /proc/self/autogroup ]; then
    ag_prev=$(awk '{print $NF}' /proc/self/autogroup)
    echo "$BENCH_PRIORITY" >/proc/self/autogroup
    trap 'echo "$ag_prev" >/proc/self/autogroup 2>/dev/null || true' EXIT
  fi
fi
echo "priority: nice $(ps -o ni= -p $$ | tr -d ' ')$([ -r /proc/self/autogroup ] && echo ", autogroup nice $(awk '{print $NF}' /proc/self/autogroup)")"

# measure LABEL CMD...: runs CMD under GNU time and prints "wall_seconds peak_rss_kib cpu_seconds" ("- - -" when it
# failed, with the tail of its stderr on ours).
measure() {
  local label=$1; shift
  local tf; tf=$(mktemp)
  if ! /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" >"$OUT/last.out" 2>"$OUT/last.err"; then
    echo "bench: $label failed:" >&2; tail -5 "$OUT/last.err" >&2
    rm -f "$tf"; echo "- - -"; return 0
  fi
  tail -1 "$tf" | awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}'; rm -f "$tf"
}

floor() { # decompress every layer blob of a docker-archive, in parallel
  local img=$1 dir="$OUT/$(basename "$1" .tar)-x"
  if [ ! -d "$dir" ] || [ "$img" -nt "$dir" ]; then rm -rf "$dir" && mkdir -p "$dir" && tar -xf "$img" -C "$dir"; fi
  local layers; layers=$(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$dir/manifest.json")
  (cd "$dir" && measure floor bash -c "printf '%s\n' $(echo $layers | tr '\n' ' ') | xargs -P $(nproc) -n 1 sh -c 'gzip -dc \"\$0\" >/dev/null'")
}

row() { printf '%-10s %-10s %9s %9s %10s\n' "$@"; }
mib() { [ "$1" = - ] && echo - || echo $(( $1 / 1024 )); }
ratio() { [ "$1" = - ] || [ "$2" = - ] || [ -z "$2" ] && { echo -; return; }; awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f", a / b }'; }
verdict() { # verdict VALUE OP LIMIT
  [ "$1" = - ] && { echo "n/a"; return; }
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= l : v >= l; print ok ? "met" : "MISSED" }'
}

# Trivy in its SBOM-only mode: --format cyclonedx turns its vulnerability scanner off (no DB needed, even with an
# empty cache; "--scanners vuln --skip-db-update" would fail on an empty cache, and without --skip-db-update it
# would download the DB); --offline-scan and the skip flags keep it off the network for everything else.
TRIVY_FLAGS=(--format cyclonedx --skip-db-update --skip-java-db-update --offline-scan --skip-version-check
  --disable-telemetry --no-progress --quiet)

declare -A R # R[image,tool,mode]="wall rss_kib cpu"
bench_image() {
  local img=$1 name=$2 key=$3
  echo
  echo "== $name: $(du -h "$img" | cut -f1) docker-archive, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  row tool mode "wall s" "cpu s" "peak MiB"
  read -r t m c < <(floor "$img"); row floor decompress "$t" "$c" "$(mib "$m")"; R[$key,floor,cold]="$t $m $c"
  local C="$OUT/cache"
  for mode in cold warm; do
    # cold: every tool starts from an empty cache directory of its own; warm: the same command again, right after
    [ $mode = cold ] && rm -rf "$C" && mkdir -p "$C"
    read -r t m c < <(measure "hullscan $mode" "$HULLSCAN" sbom "$img" --format cyclonedx -o "$OUT/hullscan.cdx.json" --cache-dir "$C/hullscan" -q)
    row hullscan $mode "$t" "$c" "$(mib "$m")"; R[$key,hullscan,$mode]="$t $m $c"
    if command -v syft >/dev/null; then
      read -r t m c < <(measure "syft $mode" env SYFT_CACHE_DIR="$C/syft" syft scan "docker-archive:$img" -o "cyclonedx-json=$OUT/syft.cdx.json" -q)
      row syft $mode "$t" "$c" "$(mib "$m")"; R[$key,syft,$mode]="$t $m $c"
    else row syft $mode "not installed" "" ""; R[$key,syft,$mode]="- - -"; fi
    if command -v trivy >/dev/null; then
      read -r t m c < <(measure "trivy $mode" trivy image --input "$img" --output "$OUT/trivy.cdx.json" --cache-dir "$C/trivy" "${TRIVY_FLAGS[@]}")
      row trivy $mode "$t" "$c" "$(mib "$m")"; R[$key,trivy,$mode]="$t $m $c"
    else row trivy $mode "not installed" "" ""; R[$key,trivy,$mode]="- - -"; fi
  done
  targets "$key"
}

f() { local a; read -r -a a <<<"${R[$1]}"; echo "${a[$2]}"; } # f KEY FIELD: 0 wall, 1 rss, 2 cpu

targets() { # the issue's targets for one image, from R
  local k=$1 hw hm sw tw sm tm fw fast fastm peer
  hw=$(f "$k,hullscan,cold" 0); hm=$(f "$k,hullscan,cold" 1); fw=$(f "$k,floor,cold" 0)
  sw=$(f "$k,syft,cold" 0); tw=$(f "$k,trivy,cold" 0); sm=$(f "$k,syft,cold" 1); tm=$(f "$k,trivy,cold" 1)
  fast=-; fastm=-; peer=none
  if [ "$sw" != - ]; then fast=$sw; fastm=$sm; peer=syft; fi
  if [ "$tw" != - ] && { [ "$fast" = - ] || awk -v a="$tw" -v b="$fast" 'BEGIN { exit !(a < b) }'; }; then fast=$tw; fastm=$tm; peer=trivy; fi
  local r1 r2 r3 r4
  r1=$(ratio "$hw" "$fast"); r2=$(ratio "$hw" "$fw"); r3=$(ratio "$hm" "$fastm"); r4=$(ratio "$(f "$k,hullscan,warm" 0)" "$hw")
  echo "targets (faster peer: $peer):"
  printf '  %-46s %6s  %s\n' "cold wall / faster peer's cold wall <= 0.75" "$r1" "$(verdict "$r1" '<=' 0.75)" \
    "cold wall / floor <= 1.3" "$r2" "$(verdict "$r2" '<=' 1.3)" \
    "cold peak RSS / faster peer's peak RSS <= 0.5" "$r3" "$(verdict "$r3" '<=' 0.5)" \
    "warm wall / cold wall <= 0.1" "$r4" "$(verdict "$r4" '<=' 0.1)"
}

bench_image "$OUT/debian.tar" "Debian 12 fixture (3 layers)" debian
bench_image "$OUT/filler.tar" "Debian 12 fixture + 1 GiB filler layer" filler
echo
echo "memory with the 1 GiB filler layer (peak MiB, cold; debian -> filler):"
for tool in hullscan syft trivy; do
  a=$(f "debian,$tool,cold" 1); b=$(f "filler,$tool,cold" 1)
  printf '  %-9s %6s -> %6s  (x%s)\n' $tool "$(mib "$a")" "$(mib "$b")" "$(ratio "$b" "$a")"
done
r=$(ratio "$(f "filler,hullscan,cold" 1)" "$(f "debian,hullscan,cold" 1)")
echo "  hullscan flat (filler peak <= 1.25 x debian peak): $(verdict "$r" '<=' 1.25)"

# Language trees: a directory scanned by each tool in the mode that reads installed packages (trivy's rootfs mode
# reads node_modules/*/package.json and jars; its fs mode reads lockfiles only; syft's image catalogers read what is
# installed, its directory ones only lockfiles). No tool keeps a cache for a directory, so there is one round;
# "pkgs" counts the components with a purl in the tool's CycloneDX SBOM. Trivy identifies jars through its Java DB,
# which it cannot download offline: it fails on the jar folder, and the table says so.
count() { python3 -c 'import json,sys; print(sum(1 for c in json.load(open(sys.argv[1])).get("components") or [] if c.get("purl")))' "$1" 2>/dev/null || echo -; }
# median3 LABEL CMD...: measure three times, print the run with the median wall time (small trees vary by ±30 %
# from run to run on a shared machine; one run decides nothing).
median3() {
  local label=$1; shift
  { measure "$label" "$@"; measure "$label" "$@"; measure "$label" "$@"; } | sort -n | sed -n 2p
}
bench_dir() {
  local dir=$1 name=$2 key=$3 t m c
  echo
  # Read the tree once so that it is in the page cache for every tool alike.
  find "$dir" -type f -exec cat {} + >/dev/null 2>&1 || true
  echo "== $name: $(du -sh "$dir" | cut -f1), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), median of 3 runs"
  printf '%-10s %9s %9s %10s %7s\n' tool "wall s" "cpu s" "peak MiB" pkgs
  rm -f "$OUT"/*.cdx.json
  read -r t m c < <(median3 "hullscan $key" "$HULLSCAN" sbom "$dir" --format cyclonedx -o "$OUT/hullscan.cdx.json" --no-cache -q)
  printf '%-10s %9s %9s %10s %7s\n' hullscan "$t" "$c" "$(mib "$m")" "$(count "$OUT/hullscan.cdx.json")"; R[$key,hullscan,cold]="$t $m $c"
  if command -v syft >/dev/null; then
    read -r t m c < <(median3 "syft $key" syft scan "dir:$dir" --override-default-catalogers image -o "cyclonedx-json=$OUT/syft.cdx.json" -q)
    printf '%-10s %9s %9s %10s %7s\n' syft "$t" "$c" "$(mib "$m")" "$(count "$OUT/syft.cdx.json")"; R[$key,syft,cold]="$t $m $c"
  else R[$key,syft,cold]="- - -"; echo "syft       not installed"; fi
  if command -v trivy >/dev/null; then
    read -r t m c < <(median3 "trivy $key" trivy rootfs "$dir" --output "$OUT/trivy.cdx.json" --cache-dir "$OUT/cache/trivy" "${TRIVY_FLAGS[@]}")
    printf '%-10s %9s %9s %10s %7s\n' trivy "$t" "$c" "$(mib "$m")" "$(count "$OUT/trivy.cdx.json")"; R[$key,trivy,cold]="$t $m $c"
  else R[$key,trivy,cold]="- - -"; echo "trivy      not installed"; fi
  local hw sw tw fast peer r
  hw=$(f "$key,hullscan,cold" 0); sw=$(f "$key,syft,cold" 0); tw=$(f "$key,trivy,cold" 0)
  fast=-; peer=none
  if [ "$sw" != - ]; then fast=$sw; peer=syft; fi
  if [ "$tw" != - ] && { [ "$fast" = - ] || awk -v a="$tw" -v b="$fast" 'BEGIN { exit !(a < b) }'; }; then fast=$tw; peer=trivy; fi
  r=$(ratio "$hw" "$fast")
  echo "targets (faster peer: $peer):"
  printf '  %-46s %6s  %s\n' "wall / faster peer's wall <= 0.5" "$r" "$(verdict "$r" '<=' 0.5)"
}

FIX=${HULLSCAN_FIXTURES:-$HOME/.cache/hullscan-fixtures}
if node_dir=$(scripts/bench/node-large.sh); then
  bench_dir "$node_dir/tree" "node_modules tree of $(cat "$node_dir/count") packages (react-scripts 5, no lockfile)" node
else echo "bench: the node_modules fixture could not be built (scripts/bench/node-large.sh); skipped" >&2; fi
if [ -d "$FIX/java/jars50" ] || bash scripts/fixtures/java.sh >/dev/null; then
  bench_dir "$FIX/java/jars50" "$(ls "$FIX/java/jars50" | wc -l) jars (Debian's, plus a fat jar of jars)" jars
else echo "bench: the jar fixture could not be built (scripts/fixtures/java.sh); skipped" >&2; fi


# The vulnerability database and matching: build time and size from the shared advisory data, then a whole scan of
# the Debian image with the database beside osv-scanner scanning the same archive offline with the same OSV zips
# (it reads $DIR/osv-scalibr/<Ecosystem>/all.zip with OSV_SCALIBR_LOCAL_DB_CACHE_DIRECTORY=$DIR; it exits 1 when
# it finds vulnerabilities, which is success here).
VD=${HULLSCAN_VULNDATA:-../shared/vulndata}
if [ -d "$VD/osv" ]; then
  echo
  echo "== vulnerability database from $VD, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  read -r t m c < <(measure "db build" "$HULLSCAN" db build --from "$VD/osv" --from "$VD/kev/known_exploited_vulnerabilities.json" --output "$OUT/hullscan.db" -q)
  size=$(stat -c %s "$OUT/hullscan.db" 2>/dev/null || echo 0)
  zips=$(cat "$VD"/osv/*/all.zip | wc -c)
  printf '%-24s %9s %9s %10s\n' step "wall s" "cpu s" "peak MiB"
  printf '%-24s %9s %9s %10s\n' "db build" "$t" "$c" "$(mib "$m")"
  echo "database: $size bytes; input zips: $zips bytes"
  echo "targets:"
  printf '  %-46s %6s  %s\n' "build wall <= 60 s" "$t" "$(verdict "$t" '<=' 60)" \
    "database size / input zips < 1" "$(ratio "$size" "$zips")" "$(verdict "$(ratio "$size" "$zips")" '<=' 0.999)"

  echo
  echo "== scan of the Debian image with the database, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-12s %9s %9s %10s %9s\n' tool "wall s" "cpu s" "peak MiB" findings
  read -r t m c < <(measure "hullscan image" "$HULLSCAN" image "$OUT/debian.tar" --db "$OUT/hullscan.db" --no-cache -q -f json -o "$OUT/hullscan-vulns.json")
  n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["vulnerabilities"]["findings"]))' "$OUT/hullscan-vulns.json" 2>/dev/null || echo -)
  printf '%-12s %9s %9s %10s %9s\n' hullscan "$t" "$c" "$(mib "$m")" "$n"; hw=$t
  ow=-
  if command -v osv-scanner >/dev/null; then
    mkdir -p "$OUT/osvdb/osv-scalibr"
    for z in "$VD"/osv/*/all.zip; do e=$(basename "$(dirname "$z")"); mkdir -p "$OUT/osvdb/osv-scalibr/$e"; ln -sf "$(realpath "$z")" "$OUT/osvdb/osv-scalibr/$e/all.zip"; done
    read -r t m c < <(measure "osv-scanner image" env OSV_SCALIBR_LOCAL_DB_CACHE_DIRECTORY="$OUT/osvdb" sh -c 'osv-scanner scan image --archive "$1" --offline --format json >"$2"; [ $? -le 1 ]' sh "$OUT/debian.tar" "$OUT/osv-scanner.json")
    n=$(python3 -c 'import json,sys; print(sum(len(p.get("vulnerabilities") or []) for r in json.load(open(sys.argv[1])).get("results") or [] for p in r["packages"]))' "$OUT/osv-scanner.json" 2>/dev/null || echo -)
    printf '%-12s %9s %9s %10s %9s\n' osv-scanner "$t" "$c" "$(mib "$m")" "$n"; ow=$t
  else echo "osv-scanner not installed (go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0)"; fi
  echo "(findings: hullscan counts one per CVE and package; osv-scanner one per OSV record and package)"
  echo "targets:"
  printf '  %-46s %6s  %s\n' "hullscan wall / osv-scanner wall <= 0.5" "$(ratio "$hw" "$ow")" "$(verdict "$(ratio "$hw" "$ow")" '<=' 0.5)"
  echo
  echo "matching throughput (internal/match BenchmarkMatch: the Debian image and an npm project against the full database, after open):"
  go test -run '^$' -bench 'BenchmarkMatch' -benchtime 3s -count=1 ./internal/match | grep -E '^Benchmark'
else
  echo "bench: no advisory data at $VD (set HULLSCAN_VULNDATA); the database and matching figures are skipped" >&2
fi

echo
echo "Go benchmarks (internal/scan):"
go test -run '^$' -bench 'ScanDebian' -benchmem -count=1 ./internal/scan | grep -E '^Benchmark'
