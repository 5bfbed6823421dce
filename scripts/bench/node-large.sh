#!/usr/bin/env bash
# Builds the node_modules tree of 1,000+ packages that `make bench` scans, once, outside the repo, in
#   ${HULLSCAN_FIXTURES:-$HOME/.cache/hullscan-fixtures}/bench-node
# react-scripts 5 (Create React App's toolchain: webpack, babel, jest, eslint, postcss, ...) is the kind of tree a
# front-end image ships, and `npm install` of it alone yields well over a thousand packages. Installed with
# --ignore-scripts (nothing runs) into tree/; its package-lock.json is moved out beside it, so that tools scanning
# tree/ must read the installed packages; count holds the number of packages the lockfile lists. Needs node, npm
# and the npm registry.
# Not part of CI: only the benchmark reads it.
set -euo pipefail
ROOT=${HULLSCAN_FIXTURES:-$HOME/.cache/hullscan-fixtures}
DIR=$ROOT/bench-node
[ -f "$DIR/done" ] && { echo "$DIR"; exit 0; }
for t in node npm; do command -v $t >/dev/null || { echo "bench-node fixture: $t not installed" >&2; exit 3; }; done
rm -rf "$DIR"; mkdir -p "$DIR/tree"
export npm_config_cache=$DIR/cache npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
cd "$DIR/tree"
cat >package.json <<'JSON'
{"name": "bench-app", "version": "1.0.0", "private": true,
 "dependencies": {"react": "18.3.1", "react-dom": "18.3.1", "react-scripts": "5.0.1"}}
JSON
npm install --ignore-scripts --no-audit --lockfile-version 3 >"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log" >&2; exit 1; }
rm -rf "$DIR/cache"
mv package-lock.json "$DIR/package-lock.json"
n=$(node -e 'const l=require(process.argv[1]); console.log(Object.keys(l.packages).filter(k => k).length)' "$DIR/package-lock.json")
[ "$n" -ge 1000 ] || { echo "bench-node fixture: only $n packages installed, want 1000+" >&2; exit 1; }
echo "$n" >"$DIR/count"
touch "$DIR/done"
echo "$DIR"
