#!/bin/sh
# Regenerate burntop's badge data from shields.io's own npm packages (MIT):
#   burntop/badges/verdana.json          Verdana advance widths from `anafanafo` (what badge-maker measures with)
#   tests/badges/badge_maker_cases.json  badge-maker's own SVGs for the cases in record_badge_maker.mjs
# Needs node >= 18 and the npm registry. Run from anywhere: sh scripts/badges/regenerate.sh
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$ROOT"/scripts/badges/*.mjs "$WORK"/
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent anafanafo@2.0.0 badge-maker@6.0.0
node verdana_widths.mjs "$ROOT/burntop/badges/verdana.json"
node record_badge_maker.mjs "$ROOT/tests/badges/badge_maker_cases.json"
