#!/usr/bin/env bash
# hullscan beside osv-scanner, both offline, on the same OSV data and the same inputs: for each input, the set of
# (ecosystem, package, version, OSV record id) lines each tool reports, and the lines only one of them reports.
# docs/osv-scanner.md holds a run and explains every difference.
#
#   scripts/compare-osv-scanner.sh [HULLSCAN-BINARY]     (default: go build ./cmd/hullscan into the work directory)
#
# Environment:
#   OSV_SCANNER        osv-scanner binary (default: osv-scanner on PATH, else ~/go/bin/osv-scanner); v2.x
#   VULNDATA           the OSV export (default /work/shared/vulndata: osv/<Ecosystem>/all.zip and kev/)
#   HULLSCAN_FIXTURES  the fixtures scripts/fixtures/*.sh build (default ~/.cache/hullscan-fixtures)
#   OUT                work directory (default: a new mktemp -d); keeps the database, both tools' JSON per input
#                      (LABEL.hullscan.json, LABEL.osv.json) and the normalised lines (LABEL.hullscan.lines, ...)
#   ONLY               space-separated input labels to run (default: all)
#
# What is compared. osv-scanner reports each matching OSV record by its id; hullscan reports one finding per
# vulnerability and lists in `advisories` the OSV records that matched, so each hullscan finding is expanded into
# one line per advisory. Lines are "ECOSYSTEM NAME VERSION ID" with OSV's ecosystem names, PyPI names normalised
# per PEP 503 and Go versions without their "v"; duplicates (one package at several locations) collapse. Only the
# input's own ecosystem is compared (a gemspec tree also holds npm and Maven files); the SBOM input compares all.
#
# Both tools see the same files: lockfile inputs are copied into a directory of their own, and both scan that
# directory. osv-scanner runs `scan source --offline --all-packages --all-vulns` with its local databases read from
# $OUT/osv-cache/osv-scalibr/<Ecosystem>/all.zip (symlinks to $VULNDATA); artefact inputs (binaries, jars,
# dist-info, node_modules) also enable its "artifact" plugin preset (what `scan image` uses), and gemspec inputs its
# ruby/gemspec extractor, which no preset enables; the SBOM input runs `hullscan sbom-scan` and `osv-scanner -L`.
# osv-scanner has no dev-dependency filter in `scan source` (dev packages are reported, tagged
# `dependency_groups: ["dev"]`), so hullscan runs with --include-dev everywhere.
#
# Differences are explained in scripts/compare-osv-scanner.allow, one line each:
#   INPUT ECOSYSTEM NAME VERSION ID  # reason, test: TestName
# Exit status: 0 when every difference is explained and every allow-list line still occurs, 1 otherwise, 2 on a
# usage or tool error (a tool failed, an osv-scanner ecosystem database did not load, an input is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VULNDATA=${VULNDATA:-/work/shared/vulndata}
FIX=${HULLSCAN_FIXTURES:-$HOME/.cache/hullscan-fixtures}
TD=$ROOT/internal/inventory/testdata
ALLOW=$ROOT/scripts/compare-osv-scanner.allow
OSV_SCANNER=${OSV_SCANNER:-$(command -v osv-scanner || echo "$HOME/go/bin/osv-scanner")}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/hullscan-osv.XXXXXX")}
ONLY=${ONLY:-}

die() { echo "compare-osv-scanner: $*" >&2; exit 2; }
[ -x "$OSV_SCANNER" ] || die "osv-scanner not found (set OSV_SCANNER)"
[ -d "$VULNDATA/osv" ] || die "$VULNDATA/osv missing (set VULNDATA)"
[ -f "$ALLOW" ] || die "$ALLOW missing"
command -v python3 >/dev/null || die "python3 not found"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

HULLSCAN=${1:-}
if [ -z "$HULLSCAN" ]; then
  HULLSCAN=$OUT/hullscan
  go build -o "$HULLSCAN" ./cmd/hullscan || die "go build failed"
fi
[ -x "$HULLSCAN" ] || die "$HULLSCAN is not an executable"

# One database for every input, and osv-scanner's offline cache over the same zips.
DB=$OUT/hullscan.db
"$HULLSCAN" db build --from "$VULNDATA/osv" --from "$VULNDATA/kev/known_exploited_vulnerabilities.json" \
  --output "$DB" >"$OUT/db-build.log" 2>&1 || { tail -20 "$OUT/db-build.log" >&2; die "hullscan db build failed"; }
OSVCACHE=$OUT/osv-cache
for z in "$VULNDATA"/osv/*/all.zip; do
  eco=$(basename "$(dirname "$z")")
  mkdir -p "$OSVCACHE/osv-scalibr/$eco"
  ln -sfn "$z" "$OSVCACHE/osv-scalibr/$eco/all.zip"
done

echo "hullscan:    $HULLSCAN ($("$HULLSCAN" --version 2>/dev/null | awk '{print $NF}'))"
echo "osv-scanner: $OSV_SCANNER ($("$OSV_SCANNER" --version 2>/dev/null | awk '/osv-scanner version/{print $NF}'))"
echo "data:        $VULNDATA/osv"
echo "outputs:     $OUT"
echo

# stage LABEL FILE...: a directory holding copies of FILEs (a lockfile alone, so that neither tool reads anything
# beside it); prints its path. FILE may be SRC=NAME to rename.
stage() {
  local d=$OUT/stage/$1; shift
  rm -rf "$d" && mkdir -p "$d"
  local f
  for f in "$@"; do
    case $f in
      *=*) cp "${f%%=*}" "$d/${f#*=}" ;;
      *) cp "$f" "$d/" ;;
    esac
  done
  echo "$d"
}

# stage_tree LABEL SRC PATTERN...: a copy of the files under SRC whose names match a PATTERN, with their paths.
stage_tree() {
  local d=$OUT/stage/$1 src=$2; shift 2
  local args=() p
  for p in "$@"; do args+=(${args:+-o} -name "$p"); done
  rm -rf "$d" && mkdir -p "$d"
  (cd "$src" && find . -type f \( "${args[@]}" \) -print0 | xargs -0 -r cp --parents -t "$d")
  echo "$d"
}

INPUTS=()
# input LABEL ECOSYSTEM KIND PATH: KIND is lock (osv-scanner's default plugins), artifact (plus its artifact
# preset), gemspec (its ruby/gemspec extractor only) or sbom (PATH is a CycloneDX file: `hullscan sbom-scan`,
# `osv-scanner -L`). ECOSYSTEM is the purl type compared, or "all".
input() {
  local label=$1 eco=$2 kind=$3 dir=$4
  if [ -n "$ONLY" ] && ! [[ " $ONLY " == *" $label "* ]]; then return; fi
  [ -e "$dir" ] || die "input $label: $dir missing (scripts/fixtures/*.sh build the fixtures)"
  local osvargs=() target=(-r "$dir") hcmd=(fs "$dir")
  case $kind in
    lock) ;;
    artifact) osvargs=(--experimental-plugins artifact) ;;
    gemspec) osvargs=(--experimental-no-default-plugins --experimental-plugins ruby/gemspec) ;;
    sbom) target=(-L "$dir"); hcmd=(sbom-scan "$dir") ;;
    *) die "input $label: kind $kind" ;;
  esac
  local rc=0
  "$HULLSCAN" "${hcmd[@]}" --db "$DB" --format json -q --include-dev --no-cache \
    >"$OUT/$label.hullscan.json" 2>"$OUT/$label.hullscan.err" || rc=$?
  [ $rc -eq 0 ] || { cat "$OUT/$label.hullscan.err" >&2; die "input $label: hullscan exited $rc"; }
  rc=0
  OSV_SCALIBR_LOCAL_DB_CACHE_DIRECTORY=$OSVCACHE "$OSV_SCANNER" scan source --offline --all-packages --all-vulns \
    --format json "${osvargs[@]}" "${target[@]}" >"$OUT/$label.osv.json" 2>"$OUT/$label.osv.err" || rc=$?
  # 0: no vulnerabilities, 1: some; anything else (128: no packages found) is a failure.
  [ $rc -le 1 ] || { tail -5 "$OUT/$label.osv.err" >&2; die "input $label: osv-scanner exited $rc"; }
  if grep -q "could not load db" "$OUT/$label.osv.err"; then
    grep "could not load db" "$OUT/$label.osv.err" >&2; die "input $label: osv-scanner lacks a database"
  fi
  INPUTS+=("$label $eco $kind $dir")
}

N=$FIX/node
# --- npm: lockfiles of every format (with dev dependencies) and an installed tree (node_modules: its package.json
# files and npm's hidden lockfile node_modules/.package-lock.json, copied without the package contents) ---
input npm-v3-lock npm lock "$(stage npm-v3-lock "$N/npm-v3/package-lock.json" "$N/npm-v3/package.json")"
input npm-v3-installed npm artifact "$(stage_tree npm-v3-installed "$N/npm-v3" package.json .package-lock.json && rm -f "$OUT/stage/npm-v3-installed/package.json")"
input npm-v2-lock npm lock "$(stage npm-v2-lock "$N/npm-v2/package-lock.json" "$N/npm-v2/package.json")"
input npm-v1-lock npm lock "$(stage npm-v1-lock "$N/npm-v1/package-lock.json" "$N/npm-v1/package.json")"
input npm-shrinkwrap npm lock "$(stage npm-shrinkwrap "$N/npm-shrinkwrap/npm-shrinkwrap.json" "$N/npm-shrinkwrap/package.json")"
input npm-yarn1-lock npm lock "$(stage npm-yarn1-lock "$N/yarn1/yarn.lock" "$N/yarn1/package.json")"
input npm-berry-lock npm lock "$(stage npm-berry-lock "$N/berry/yarn.lock" "$N/berry/package.json")"
input npm-pnpm7-lock npm lock "$(stage npm-pnpm7-lock "$N/pnpm7/pnpm-lock.yaml" "$N/pnpm7/package.json")"
input npm-pnpm8-lock npm lock "$(stage npm-pnpm8-lock "$N/pnpm8/pnpm-lock.yaml" "$N/pnpm8/package.json")"
input npm-pnpm9-lock npm lock "$(stage npm-pnpm9-lock "$N/pnpm9/pnpm-lock.yaml" "$N/pnpm9/package.json")"
# --- PyPI: lockfiles (committed fixtures and Debian 12's poetry/pipenv/pdm output), requirements.txt, dist-info ---
input pypi-poetry pypi lock "$(stage pypi-poetry "$TD/python/poetry-2/poetry.lock")"
input pypi-poetry-1.4 pypi lock "$(stage pypi-poetry-1.4 "$TD/python/poetry-1.4/poetry.lock")"
input pypi-poetry-debian pypi lock "$(stage pypi-poetry-debian "$FIX/debian-lang/lock/poetry/poetry.lock")"
input pypi-uv pypi lock "$(stage pypi-uv "$TD/python/uv/uv.lock")"
input pypi-uv-workspace pypi lock "$(stage pypi-uv-workspace "$TD/python/uv-workspace/uv.lock")"
input pypi-pipenv pypi lock "$(stage pypi-pipenv "$TD/python/pipenv/Pipfile.lock")"
input pypi-pipenv-debian pypi lock "$(stage pypi-pipenv-debian "$FIX/debian-lang/lock/pipenv/Pipfile.lock")"
input pypi-pdm pypi lock "$(stage pypi-pdm "$TD/python/pdm/pdm.lock")"
input pypi-pdm-debian pypi lock "$(stage pypi-pdm-debian "$FIX/debian-lang/lock/pdm/pdm.lock")"
input pypi-requirements pypi lock "$(stage pypi-requirements "$TD/python/requirements/requirements.txt")"
input pypi-debian-dist-info pypi artifact "$FIX/debian-lang/root/usr/lib/python3"
input pypi-venv pypi artifact "$TD/python/installed/venv"
# --- Go ---
input go-mod golang lock "$(stage go-mod "$TD/golang/go.mod")"
input go-binaries golang artifact "$FIX/gobin/bin"
input go-debian-binaries golang artifact "$FIX/gobin/deb/usr/bin"
# --- Maven ---
input maven-jars maven artifact "$FIX/java/jars50"
input maven-fat-jars maven artifact "$FIX/java/app"
input maven-debian-jars maven artifact "$FIX/debian-lang/root/usr/share/java"
input maven-pom maven lock "$(stage maven-pom "$TD/java/pom.xml")"
input maven-gradle-lock maven lock "$(stage maven-gradle-lock "$TD/java/gradle.lockfile")"
input maven-gradle-buildscript-lock maven lock "$(stage maven-gradle-buildscript-lock "$TD/java/buildscript-gradle.lockfile")"
# --- RubyGems ---
input gem-gemfile-lock gem lock "$(stage gem-gemfile-lock "$TD/ruby/app/Gemfile.lock")"
input gem-bundler-debian gem lock "$(stage gem-bundler-debian "$FIX/debian-lang/lock/bundler/Gemfile.lock")"
input gem-debian-gemspecs gem gemspec "$FIX/debian-lang/root/usr"
input gem-gemspecs gem gemspec "$(stage_tree gem-gemspecs "$TD/ruby" '*.gemspec')"
# --- crates.io ---
input cargo-lock cargo lock "$(stage cargo-lock "$TD/rust/v3/Cargo.lock")"
input cargo-lock-v1 cargo lock "$(stage cargo-lock-v1 "$TD/rust/v1/Cargo.lock")"
input cargo-lock-v2 cargo lock "$(stage cargo-lock-v2 "$TD/rust/v2/Cargo.lock")"
input cargo-lock-v4 cargo lock "$(stage cargo-lock-v4 "$TD/rust/v4/Cargo.lock")"
input cargo-lock-fixture cargo lock "$(stage cargo-lock-fixture "$FIX/cargobin/crate/Cargo.lock")"
input cargo-auditable cargo artifact "$FIX/cargobin/bin"
# --- one package per difference class the wide check (docs/osv-scanner.md) found beyond these inputs ---
input synthetic-sbom all sbom "$ROOT/internal/match/testdata/osvscanner/synthetic.cdx.json"

[ ${#INPUTS[@]} -gt 0 ] || die "no input selected (ONLY=$ONLY)"
printf '%s\n' "${INPUTS[@]}" >"$OUT/inputs.txt"

python3 - "$OUT" "$ALLOW" <<'PY'
import json, re, sys

out, allow_path = sys.argv[1], sys.argv[2]
OSV_ECO = {"npm": "npm", "pypi": "PyPI", "golang": "Go", "maven": "Maven", "gem": "RubyGems", "cargo": "crates.io"}

def norm(eco, name, version):
    if eco == "PyPI":
        name = re.sub(r"[-_.]+", "-", name).lower()
    if eco == "Go":
        version = version[1:] if version.startswith("v") else version
    return name, version

def wanted(want, eco):
    return eco in OSV_ECO.values() and (want == "all" or eco == want)

def hullscan(label, want):
    d = json.load(open(f"{out}/{label}.hullscan.json"))
    pkgs, lines = set(), set()
    for p in d.get("packages") or []:
        eco = OSV_ECO.get(p["ecosystem"], p["ecosystem"])
        if wanted(want, eco):
            pkgs.add((eco,) + norm(eco, p["name"], p["version"]))
    for f in (d.get("vulnerabilities") or {}).get("findings") or []:
        eco = OSV_ECO.get(f["ecosystem"], f["ecosystem"])
        if not wanted(want, eco):
            continue
        n, v = norm(eco, f["package"], f["installed_version"])
        for a in f.get("advisories") or [f["id"]]:
            lines.add(f"{eco} {n} {v} {a}")
    return pkgs, lines

def osvscanner(label, want):
    d = json.load(open(f"{out}/{label}.osv.json"))
    pkgs, lines = set(), set()
    for r in d.get("results") or []:
        for p in r.get("packages") or []:
            pk = p["package"]
            eco = pk.get("ecosystem", "")
            if not wanted(want, eco):
                continue
            n, v = norm(eco, pk["name"], pk.get("version", ""))
            pkgs.add((eco, n, v))
            for vuln in p.get("vulnerabilities") or []:
                lines.add(f"{eco} {n} {v} {vuln['id']}")
    return pkgs, lines

allow, problems = {}, []
for i, raw in enumerate(open(allow_path), 1):
    line = raw.strip()
    if not line or line.startswith("#"):
        continue
    key, _, why = line.partition("#")
    parts = key.split()
    if len(parts) != 5 or "test:" not in why:
        problems.append(f"{allow_path}:{i}: want 'INPUT ECOSYSTEM NAME VERSION ID  # reason, test: TestName'")
        continue
    allow[(parts[0], " ".join(parts[1:]))] = why.strip()
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(2)

rows, unexplained, used = [], 0, set()
for entry in open(f"{out}/inputs.txt"):
    label, eco, kind, path = entry.rstrip("\n").split(" ", 3)
    eco = OSV_ECO.get(eco, eco)
    hp, hl = hullscan(label, eco)
    op, ol = osvscanner(label, eco)
    only_h, only_o = sorted(hl - ol), sorted(ol - hl)
    print(f"== {label} ({eco}, {kind}): {path}")
    print(f"   packages: hullscan {len(hp)}, osv-scanner {len(op)}; lines: hullscan {len(hl)}, osv-scanner {len(ol)}, both {len(hl & ol)}")
    if hp != op:
        for side, s in (("hullscan", hp - op), ("osv-scanner", op - hp)):
            if s:
                shown = ", ".join(f"{n} {v}".rstrip() for _, n, v in sorted(s)[:8])
                print(f"   packages only in {side} ({len(s)}): {shown}{' ...' if len(s) > 8 else ''}")
    n_unexp = 0
    for side, diff in (("hullscan", only_h), ("osv-scanner", only_o)):
        for l in diff:
            why = allow.get((label, l))
            if why is None:
                n_unexp += 1
                print(f"   only {side}: {l}   UNEXPLAINED")
            else:
                used.add((label, l))
                print(f"   only {side}: {l}   # {why}")
    unexplained += n_unexp
    status = "equal" if not only_h and not only_o else ("explained" if n_unexp == 0 else f"{n_unexp} UNEXPLAINED")
    rows.append((label, eco, len(hp), len(op), len(hl), len(ol), len(only_h), len(only_o), status))
    with open(f"{out}/{label}.hullscan.lines", "w") as f:
        f.write("".join(l + "\n" for l in sorted(hl)))
    with open(f"{out}/{label}.osv.lines", "w") as f:
        f.write("".join(l + "\n" for l in sorted(ol)))

ran = {r[0] for r in rows}
stale = sorted(k for k in allow if k[0] in ran and k not in used)
print()
print("| input | ecosystem | packages (hullscan / osv-scanner) | lines (hullscan / osv-scanner) | only hullscan | only osv-scanner | verdict |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} / {r[3]} | {r[4]} / {r[5]} | {r[6]} | {r[7]} | {r[8]} |")
for k in stale:
    print(f"stale allow-list line (the difference is gone: remove it): {k[0]} {k[1]}")
print()
if unexplained or stale:
    print(f"FAIL: {unexplained} unexplained difference(s), {len(stale)} stale allow-list line(s)")
    sys.exit(1)
print("OK: every difference is explained in " + allow_path.rsplit("/", 2)[-2] + "/" + allow_path.rsplit("/", 1)[-1])
PY
