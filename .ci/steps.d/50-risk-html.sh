#!/usr/bin/env bash
# radguard-risk: render the HTML fleet report of the bundled reference
# scenarios and check it in headless Chromium (Debian `chromium`):
#  - the page renders (non-blank screenshot) with its network disabled;
#  - the DOM has the tier chart, the sortable device table with all ten
#    devices, and one explanation per device;
#  - clicking the score header sorts the table ascending;
#  - the same --as-of gives byte-identical HTML.
# Installs chromium itself when missing (about 45 s on a clean machine).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

cargo build --quiet -p radguard-cli --bin radguard
RG=target/debug/radguard
D=tests/data/risk
OUT=target/risk-html
rm -rf "$OUT"
mkdir -p "$OUT"

score() {
  "$RG" risk score "$D/reference-scenarios.yaml" --kev "$D/kev-sample.json" \
    --epss "$D/epss-sample.csv" --as-of 2026-01-15 --format html -o "$1"
}
score "$OUT/report.html"
score "$OUT/again.html"
cmp "$OUT/report.html" "$OUT/again.html"
echo "deterministic: identical HTML for the same --as-of"

if grep -Eiq '(src|href)=["'"'"']?(https?:)?//' "$OUT/report.html"; then
  echo "FAIL: the report references an external resource" >&2
  exit 1
fi

FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>')
PAGE="file://$PWD/$OUT/report.html"

chromium "${FLAGS[@]}" --user-data-dir="$(mktemp -d)" --window-size=1280,1600 \
  --screenshot="$OUT/report.png" "$PAGE" 2>/dev/null || true
test -s "$OUT/report.png" || { echo "FAIL: no screenshot" >&2; exit 1; }

# The DOM after scripts ran, then again after a click on the score header.
chromium "${FLAGS[@]}" --user-data-dir="$(mktemp -d)" --virtual-time-budget=2000 \
  --dump-dom "$PAGE" 2>/dev/null > "$OUT/dom.html"
SORTED="$OUT/sorted.html"
sed 's#</body>#<script>document.querySelectorAll("\#devices th")[3].click();</script></body>#' \
  "$OUT/report.html" > "$SORTED"
chromium "${FLAGS[@]}" --user-data-dir="$(mktemp -d)" --virtual-time-budget=2000 \
  --dump-dom "file://$PWD/$SORTED" 2>/dev/null > "$OUT/dom-sorted.html"

python3 - "$OUT" <<'PY'
import re, struct, sys, zlib
out = sys.argv[1]
dom = open(f"{out}/dom.html", encoding="utf-8").read()
def rows(html):
    body = html.split('<table id="devices">', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr><td><a href="#d-([^"]+)">.*?<td class="num">(\d+)</td>', body)
r = rows(dom)
assert len(r) == 10, f"expected 10 device rows, found {len(r)}"
scores = [int(s) for _, s in r]
assert scores == sorted(scores, reverse=True), f"not worst first: {scores}"
assert '<svg id="tier-chart"' in dom, "tier chart missing"
assert dom.count("<details id=") == 10, "one explanation per device"
assert "KEV_REACHABLE_BROAD_HIGH_IMPACT" in dom and "Replace always-on" in dom
s = [int(x) for _, x in rows(open(f"{out}/dom-sorted.html", encoding="utf-8").read())]
assert s == sorted(s), f"clicking the score header did not sort ascending: {s}"
# The screenshot is a real PNG of the right size and not blank.
png = open(f"{out}/report.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", png[16:24])
assert (w, h) == (1280, 1600), (w, h)
idat = b"".join(png[i + 8:i + 8 + struct.unpack(">I", png[i:i + 4])[0]]
                for i in [m.start() - 4 for m in re.finditer(b"IDAT", png)])
raw = zlib.decompress(idat)
assert len(set(raw[: 1280 * 4 * 400])) > 16, "screenshot looks blank"
print(f"chromium: {len(r)} devices rendered worst first, chart present, sort works, screenshot {w}x{h} ok")
PY
echo "screenshot: $OUT/report.png"
