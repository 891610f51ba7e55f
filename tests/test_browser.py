"""The HTML documents in headless Chromium: every registered problem's page lays out its MathML
and its SVG figures, and a screenshot is not blank and has ink where the math is. Batched: one
page holds every problem, and two Chromium runs (DOM probe, screenshot) check it."""
import json
from html import unescape as html_unescape
import struct
import zlib

import pytest

from browsing import chromium, run_chromium
from grader import registry
from grader.render import problem_view, render_document

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 900, 700

# Appended by the test only (the documents carry no script): measures what the browser laid out.
PROBE = """<script>
const box = e => e.getBoundingClientRect();
const out = {sections: [], fracs: 0, stacked: 0, first_math: null};
for (const s of document.querySelectorAll("section.problem")) {
  const maths = [...s.querySelectorAll("math")];
  out.sections.push({id: s.dataset.problem, height: box(s).height, maths: maths.length,
    empty_maths: maths.filter(m => box(m).width < 1 || box(m).height < 1).length,
    svgs: [...s.querySelectorAll("svg")].map(v => [box(v).width, box(v).height])});
}
for (const f of document.querySelectorAll("mfrac")) {
  out.fracs += 1;
  const [num, den] = f.children;
  if (box(num).bottom <= box(den).top + 1) out.stacked += 1;
}
const seen = [...document.querySelectorAll("math")].map(box).filter(r => r.bottom <= innerHeight && r.width > 8);
if (seen.length) { const r = seen[0]; out.first_math = [r.left, r.top, r.right, r.bottom]; }
const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, raw pixels) of an 8-bit RGB/RGBA/grey PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour in (0, 2, 4, 6)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw, stride = zlib.decompress(idat), width * bpp
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 255
        elif kind == 2:
            row = bytearray((a + b) & 255 for a, b in zip(row, prev))
        elif kind == 3:
            for i in range(stride):
                row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif kind == 4:
            for i in range(stride):
                a, b, c = (row[i - bpp] if i >= bpp else 0), prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += row
        prev = row
    return width, height, bpp, bytes(out)


def luminance(pixels: bytes, bpp: int) -> list[int]:
    if bpp < 3:
        return list(pixels[::bpp])
    return [(2 * r + 5 * g + b) // 8 for r, g, b in zip(pixels[0::bpp], pixels[1::bpp], pixels[2::bpp])]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """(chromium, folder with page.html, the problem views, what the probe measured)."""
    binary = chromium()
    tmp = tmp_path_factory.mktemp("browser")
    views = [problem_view(registry.get(pid).instance(5), solution=True) for pid in registry.ids()]
    html = render_document(views, "html", title="Every problem", solution=True)
    (tmp / "page.html").write_text(html, encoding="utf-8")
    (tmp / "probe.html").write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = run_chromium(binary, tmp, (tmp / "probe.html").as_uri(), "--dump-dom")
    assert '<pre id="probe">' in done.stdout, done.stderr[-2000:]
    probe = json.loads(html_unescape(done.stdout.split('<pre id="probe">')[1].split("</pre>")[0]))
    return binary, tmp, views, probe


def test_every_problem_lays_out_its_math_and_figures(page):
    _, _, views, probe = page
    assert [s["id"] for s in probe["sections"]] == [v["id"] for v in views]
    for section, view in zip(probe["sections"], views):
        assert section["height"] > 100, section["id"]
        assert section["empty_maths"] == 0, f"{section['id']}: {section['empty_maths']} math elements laid out empty"
        assert len(section["svgs"]) == len(view["figures"])
        assert all(w > 50 and h > 30 for w, h in section["svgs"]), section
    # MathML is typeset, not run together as text: each fraction's numerator sits above its denominator.
    assert probe["fracs"] > 0 and probe["stacked"] == probe["fracs"], probe


def test_screenshot_is_not_blank_and_has_ink_where_the_math_is(page):
    binary, tmp, _, probe = page
    shot = tmp / "page.png"
    run_chromium(binary, tmp, (tmp / "page.html").as_uri(), f"--screenshot={shot}")
    assert shot.exists(), "Chromium wrote no screenshot"
    width, height, bpp, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    lum = luminance(pixels, bpp)
    mean = sum(lum) / len(lum)
    variance = sum((v - mean) ** 2 for v in lum) / len(lum)
    assert mean > 180 and variance > 200, (mean, variance)  # a white page with text on it
    dark = sum(v < 128 for v in lum) / len(lum)
    assert 0.005 < dark < 0.3, dark
    assert probe["first_math"], "no formula in the first screen"
    left, top, right, bottom = (int(v) for v in probe["first_math"])
    assert 0 <= left < right <= WIDTH and 0 <= top < bottom <= HEIGHT, "the first formula is on screen"
    inside = [lum[y * width + x] for y in range(top, bottom) for x in range(left, right)]
    assert sum(v < 128 for v in inside) >= 10, "no ink where the first formula is laid out"
