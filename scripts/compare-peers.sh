#!/usr/bin/env bash
# hullscan beside syft and trivy on one docker-archive: which OS packages (deb, apk, rpm) each lists, and where they
# disagree on versions, purls, source packages and layer attribution. docs/peers.md holds a run and explains every
# difference.
#
#   scripts/compare-peers.sh [IMAGE.tar]        (default: $BENCH_DIR/debian.tar, as scripts/bench.sh writes it)
#
# Environment:
#   HULLSCAN      hullscan binary (default ./hullscan: make build)
#   OUT           where the SBOMs are written (default ${TMPDIR:-/tmp}/hullscan-peers)
#   GROUND_TRUTH  a file of "name version [source]" lines, e.g. dpkg-query -W -f '${Package} ${Version}
#                 ${source:Package}\n' run on the image's merged tree; default: the Debian fixture's c.dpkg when IMAGE
#                 is the default image and that file exists. "none" turns it off.
#   ABSENT        space-separated package names that must be absent from every tool's list (default for the default
#                 image: libxml2, which its last layer purges)
#
# Every tool runs with an empty cache and, where `unshare -n` works (root), without any network: trivy is run in its
# SBOM-only mode (--format cyclonedx disables its vulnerability scanner, so it needs no DB; the JSON run passes
# --scanners '' for the same reason) with --skip-db-update --skip-java-db-update --offline-scan.
# Exit status: 0 when hullscan lists every OS package a peer (or the ground truth) lists and none of the ABSENT ones,
# 1 otherwise, 2 on a usage or tool error.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_DISABLE_TELEMETRY=true TRIVY_NO_PROGRESS=true TRIVY_SKIP_VERSION_CHECK=true

BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/hullscan-bench}
DEFAULT_IMG="$BENCH_DIR/debian.tar"
IMG=${1:-$DEFAULT_IMG}
HULLSCAN=${HULLSCAN:-./hullscan}
OUT=${OUT:-${TMPDIR:-/tmp}/hullscan-peers}
FIXTURE_TRUTH=${HULLSCAN_FIXTURES:-$HOME/.cache/hullscan-fixtures}/debian12/c.dpkg
if [ "$(realpath -m "$IMG")" = "$(realpath -m "$DEFAULT_IMG")" ]; then
  GROUND_TRUTH=${GROUND_TRUTH:-$FIXTURE_TRUTH}; ABSENT=${ABSENT:-libxml2}
fi
GROUND_TRUTH=${GROUND_TRUTH:-none}; ABSENT=${ABSENT:-}
[ "$GROUND_TRUTH" = none ] || [ -f "$GROUND_TRUTH" ] || GROUND_TRUTH=none

[ -f "$IMG" ] || { echo "compare-peers: $IMG missing (scripts/bench.sh or TestWriteBenchImages writes it)" >&2; exit 2; }
[ -x "$HULLSCAN" ] || { echo "compare-peers: $HULLSCAN missing: make build" >&2; exit 2; }
for t in syft trivy python3; do command -v $t >/dev/null || { echo "compare-peers: $t not found" >&2; exit 2; }; done

NONET=()
if unshare -n true 2>/dev/null; then NONET=(unshare -n); fi
rm -rf "$OUT" && mkdir -p "$OUT/cache"

run() { # run LABEL CMD...: quiet unless it fails
  local label=$1; shift
  if ! "${NONET[@]}" "$@" >"$OUT/$label.log" 2>&1; then
    echo "compare-peers: $label failed:" >&2; tail -20 "$OUT/$label.log" >&2; exit 2
  fi
}
run hullscan "$HULLSCAN" sbom "$IMG" -f cyclonedx -o "$OUT/hullscan.cdx.json" --cache-dir "$OUT/cache/hullscan" -q
run syft env SYFT_CACHE_DIR="$OUT/cache/syft" syft scan "docker-archive:$IMG" \
  -o "cyclonedx-json=$OUT/syft.cdx.json" -o "syft-json=$OUT/syft.json" -q
TRIVY_OFFLINE=(--cache-dir "$OUT/cache/trivy" --skip-db-update --skip-java-db-update --offline-scan
  --skip-version-check --disable-telemetry --no-progress -q)
run trivy-cdx trivy image --input "$IMG" --format cyclonedx --output "$OUT/trivy.cdx.json" "${TRIVY_OFFLINE[@]}"
run trivy-json trivy image --input "$IMG" --format json --list-all-pkgs --scanners '' --output "$OUT/trivy.json" \
  "${TRIVY_OFFLINE[@]}"

echo "image: $IMG"
echo "tools: hullscan $("$HULLSCAN" --version 2>/dev/null | awk '{print $NF}'), syft $(go version -m "$(command -v syft)" 2>/dev/null | awk '$1=="mod"{print $3}'), trivy $(go version -m "$(command -v trivy)" 2>/dev/null | awk '$1=="mod"{print $3}')"
echo "network: $([ ${#NONET[@]} -gt 0 ] && echo 'none (unshare -n)' || echo 'not isolated')"
echo "outputs: $OUT"

python3 - "$IMG" "$OUT" "$GROUND_TRUTH" "$ABSENT" <<'PY'
import json, sys, tarfile, urllib.parse, collections

img, out, truth_path, absent = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
OS_TYPES = ("deb", "apk", "rpm")

# layer order of the image: diff_id -> index
with tarfile.open(img) as tf:
    manifest = json.load(tf.extractfile("manifest.json"))[0]
    config = json.load(tf.extractfile(manifest["Config"].lstrip("./")))
diff_ids = config["rootfs"]["diff_ids"]
layer_ix = {d: i for i, d in enumerate(diff_ids)}
def L(diff_id):
    return "-" if diff_id is None else str(layer_ix.get(diff_id, "?" + diff_id[7:19]))

def parse_purl(p):
    """pkg:type/ns/name@version?quals -> (type, ns, name, version, quals), percent-decoded"""
    rest = p[4:]
    rest, _, _sub = rest.partition("#")
    rest, _, q = rest.partition("?")
    path, _, ver = rest.rpartition("@") if "@" in rest else (rest, "", "")
    parts = path.split("/")
    typ, name = parts[0], urllib.parse.unquote(parts[-1])
    ns = "/".join(urllib.parse.unquote(x) for x in parts[1:-1])
    quals = dict((urllib.parse.unquote(k), urllib.parse.unquote(v)) for k, _, v in (kv.partition("=") for kv in q.split("&") if kv))
    return typ, ns, name, urllib.parse.unquote(ver), quals

def full_version(ver, quals):
    e = quals.get("epoch")
    return f"{e}:{ver}" if e and e != "0" and ":" not in ver else ver

def cdx_packages(path):
    d = json.load(open(f"{out}/{path}"))
    comps, stack = [], list(d.get("components", []))
    while stack:
        c = stack.pop(); comps.append(c); stack.extend(c.get("components", []))
    pk = {}
    for c in comps:
        purl = c.get("purl") or ""
        if not purl.startswith("pkg:"): continue
        typ, ns, name, ver, quals = parse_purl(purl)
        if typ not in OS_TYPES: continue
        key = (typ, name, full_version(ver, quals), quals.get("arch", ""))
        props = {p["name"]: p.get("value") for p in c.get("properties", [])}
        pk[key] = dict(purl=purl, ns=ns, ver=ver, ver_field=c.get("version"), quals=quals, props=props)
    return pk

tools = {"hullscan": cdx_packages("hullscan.cdx.json"), "syft": cdx_packages("syft.cdx.json"),
         "trivy": cdx_packages("trivy.cdx.json")}

# per-package facts from the tools' own formats: source package and layer
facts = collections.defaultdict(dict)  # tool -> (name, arch) -> dict(src, srcver, layer, ...)
for k, v in tools["hullscan"].items():
    p = v["props"]
    facts["hullscan"][(k[1], k[3])] = dict(src=p.get("hullscan:source:name") or k[1],
        srcver=p.get("hullscan:source:version") or k[2], layer=L(p.get("hullscan:layer:diff_id")))
s = json.load(open(f"{out}/syft.json"))
for a in s["artifacts"]:
    if a["type"] not in OS_TYPES: continue
    m = a.get("metadata") or {}
    arch = m.get("architecture") or m.get("arch") or ""
    locs = a.get("locations", [])
    prim = [l for l in locs if (l.get("annotations") or {}).get("evidence") == "primary"] or locs[:1]
    supp = [l for l in locs if l not in prim]
    src = m.get("source") or m.get("originPackage") or m.get("sourceRpm") or ""
    facts["syft"][(a["name"], arch)] = dict(
        src=src or a["name"], srcver=m.get("sourceVersion") or a["version"],
        layer=L(prim[0]["layerID"]) if prim else "-",
        files_layer=",".join(sorted({L(l["layerID"]) for l in supp})) or "-")
t = json.load(open(f"{out}/trivy.json"))
tj = {}
def dv(epoch, ver, rel):
    v = ver + (f"-{rel}" if rel else "")
    return f"{epoch}:{v}" if epoch else v
for r in t.get("Results", []):
    if r.get("Class") != "os-pkgs": continue
    for p in r.get("Packages", []):
        tj[(p["Name"], dv(p.get("Epoch"), p["Version"], p.get("Release")), p.get("Arch", ""))] = p
        facts["trivy"][(p["Name"], p.get("Arch", ""))] = dict(
            src=p.get("SrcName") or p["Name"],
            srcver=dv(p.get("SrcEpoch"), p.get("SrcVersion") or "", p.get("SrcRelease")) if p.get("SrcVersion") else "",
            layer=L((p.get("Layer") or {}).get("DiffID")))

def nv(k):
    return f"{k[1]} {k[2]}" + (f" ({k[3]})" if k[3] else "") + ("" if k[0] == "deb" else f" [{k[0]}]")

truth = None
if truth_path != "none":
    truth = {}
    for line in open(truth_path):
        f = line.split()
        if len(f) >= 2: truth[(f[0], f[1])] = f[2] if len(f) > 2 else f[0]

print("\n== OS packages per tool (by purl type)")
for name, pk in tools.items():
    c = collections.Counter(k[0] for k in pk)
    print(f"  {name:9} {len(pk):4}  " + ", ".join(f"{t}={n}" for t, n in sorted(c.items())))
print(f"  {'trivy-json':9} {len(tj):4}  (JSON --list-all-pkgs, for layers and source versions)")
if truth is not None:
    print(f"  {'truth':9} {len(truth):4}  ({truth_path})")

fail = False
H = {(k[0], k[1], k[2]) for k in tools["hullscan"]}
for peer in ("syft", "trivy"):
    P = {(k[0], k[1], k[2]) for k in tools[peer]}
    only_p, only_h = sorted(P - H), sorted(H - P)
    print(f"\n== only in {peer} (possible hullscan false negatives): {len(only_p)}")
    for k in only_p: print("  ", nv(k + ("",)))
    print(f"== only in hullscan, not in {peer}: {len(only_h)}")
    for k in only_h: print("  ", nv(k + ("",)))
    fail |= bool(only_p)
tjs = {(n, v) for (n, v, a) in tj}
tcs = {(k[1], k[2]) for k in tools["trivy"]}
if tjs != tcs:
    print(f"\n!! trivy's JSON and CycloneDX disagree: json-only {sorted(tjs - tcs)} cdx-only {sorted(tcs - tjs)}")

if truth is not None:
    Hd = {(k[1], k[2]) for k in tools["hullscan"] if k[0] == "deb"}
    print(f"\n== against the ground truth: missing from hullscan {len(set(truth) - Hd)}, extra in hullscan {len(Hd - set(truth))}")
    for k in sorted(set(truth) - Hd): print("   missing:", *k)
    for k in sorted(Hd - set(truth)): print("   extra:", *k)
    fail |= bool(set(truth) - Hd)
    for peer in ("syft", "trivy"):
        Pd = {(k[1], k[2]) for k in tools[peer] if k[0] == "deb"}
        print(f"   {peer}: missing {len(set(truth) - Pd)}, extra {len(Pd - set(truth))}")
    bad_src = sorted(n for (n, v), src in truth.items() if (n, v) in Hd and
                     next(f["src"] for (fn, fa), f in facts["hullscan"].items() if fn == n) != src)
    print(f"   hullscan source package differs from dpkg's ${{source:Package}}: {len(bad_src)} {bad_src}")

if absent:
    print("\n== packages that must be absent:", " ".join(absent))
    for name, pk in list(tools.items()) + [("trivy-json", {(0, k[0]): 1 for k in tj})]:
        hits = sorted({k[1] for k in pk if k[1] in absent})
        print(f"  {name:10} {'ABSENT (ok)' if not hits else 'PRESENT: ' + ' '.join(hits)}")
        if name == "hullscan" and hits: fail = True

print("\n== version strings (same package, different text)")
n = 0
for peer in ("syft", "trivy"):
    for k, v in tools[peer].items():
        hk = next((hk for hk in tools["hullscan"] if hk[:3] == k[:3]), None)
        if hk and v["ver_field"] != tools["hullscan"][hk]["ver_field"]:
            n += 1; print(f"  {peer}: {k[1]} component.version {v['ver_field']!r} vs hullscan {tools['hullscan'][hk]['ver_field']!r}")
print(f"  {n} difference(s) in the CycloneDX version field (name+version matched after putting the purl epoch back)")

print("\n== purl conventions (decoded, compared per package)")
def purl_diff(a, b):
    d = []
    if a["ns"] != b["ns"]: d.append(f"namespace {a['ns']}|{b['ns']}")
    if a["ver"] != b["ver"]: d.append(f"version in purl {a['ver']}|{b['ver']}")
    qa, qb = a["quals"], b["quals"]
    for q in sorted(set(qa) | set(qb)):
        if qa.get(q) != qb.get(q): d.append(f"{q}={qa.get(q, '∅')}|{qb.get(q, '∅')}")
    return d
for peer in ("syft", "trivy"):
    kinds, raw_only, examples = collections.Counter(), 0, {}
    for k, v in tools[peer].items():
        hk = next((hk for hk in tools["hullscan"] if hk[:3] == k[:3]), None)
        if not hk: continue
        h = tools["hullscan"][hk]
        ds = purl_diff(h, v)
        for x in ds:
            kind = x if x.startswith("distro") else "version (epoch)" if x.startswith("version") else x.split("=")[0] + "=…"
            kinds[kind] += 1
            if kind not in examples or len(ds) < examples[kind][0]: examples[kind] = (len(ds), h["purl"], v["purl"])
        if not ds and h["purl"] != v["purl"]: raw_only += 1; examples.setdefault("encoding only", (0, h["purl"], v["purl"]))
    print(f"  hullscan vs {peer}: {sum(1 for k in tools[peer] if any(hk[:3] == k[:3] for hk in tools['hullscan']))} matched packages")
    for kind, c in sorted(kinds.items()): print(f"    {c:4}  {kind} (hullscan|{peer})")
    if raw_only: print(f"    {raw_only:4}  differ only in percent-encoding")
    for kind, (_, a, b) in sorted(examples.items()): print(f"          e.g. [{kind}]\n            hullscan {a}\n            {peer:8} {b}")

print("\n== source package (name version)")
for peer in ("syft", "trivy"):
    dn, dv_ = [], []
    for key, h in facts["hullscan"].items():
        p = facts[peer].get(key)
        if not p: continue
        if p["src"] != h["src"]: dn.append(f"{key[0]}: {h['src']}|{p['src']}")
        if p["srcver"] and p["srcver"] != h["srcver"]: dv_.append(f"{key[0]}: {h['srcver']}|{p['srcver']}")
    print(f"  hullscan vs {peer}: source name differs {len(dn)}, source version differs {len(dv_)} (hullscan|{peer})")
    for x in dn + dv_: print("    ", x)

print("\n== layer attribution (layer index; diff_ids: " + ", ".join(f"{i}={d[7:19]}" for i, d in enumerate(diff_ids)) + ")")
agree = collections.Counter(); rows = []
for key, h in sorted(facts["hullscan"].items()):
    t_, s_ = facts["trivy"].get(key, {}), facts["syft"].get(key, {})
    tl, sl, sf = t_.get("layer", "-"), s_.get("layer", "-"), s_.get("files_layer", "-")
    agree[("trivy", tl == h["layer"])] += 1; agree[("syft db", sl == h["layer"])] += 1
    agree[("syft files", sf == h["layer"])] += 1
    if tl != h["layer"] or sf != h["layer"]: rows.append(f"    {key[0]:28} hullscan {h['layer']}  trivy {tl}  syft db {sl}  syft files {sf}")
for who in ("trivy", "syft db", "syft files"):
    print(f"  hullscan = {who:10}: {agree[(who, True)]:4} agree, {agree[(who, False)]:4} differ")
dist = collections.Counter((h["layer"], facts["trivy"].get(k, {}).get("layer"), facts["syft"].get(k, {}).get("layer"),
                            facts["syft"].get(k, {}).get("files_layer")) for k, h in facts["hullscan"].items())
print("  packages by (hullscan, trivy, syft db file's layer, syft supporting files' layers):")
for (a, b, c, d), nn in sorted(dist.items()): print(f"    {nn:4}  hullscan {a}  trivy {b}  syft-db {c}  syft-files {d}")
if rows:
    print("  packages where hullscan's layer differs from trivy's or from syft's supporting files:")
    for r in rows: print(r)

print("\nresult:", "FAIL: hullscan misses a package a peer or the ground truth lists, or lists an absent one" if fail else
      "ok: hullscan lists every OS package that syft or trivy lists")
sys.exit(1 if fail else 0)
PY
