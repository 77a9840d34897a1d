"""save_png / save_svg: the selection drawn in Python, pixels and elements where the attention is.

The attention is built by hand (a previous-token head, a split row, a first-token head), so where
every line must be, and how opaque, is known without the code under test.
"""

from __future__ import annotations

import io
import pathlib
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import attnlens as al
from attnlens.capture.trace import Stack, Trace
from attnlens.widget import images

N = 8
SVG = "{http://www.w3.org/2000/svg}"
BLUE = (0x00, 0x72, 0xB2)  # head 0's colour in the light palette


def hand_made(tokens: list[str] | None = None) -> Trace:
    """3 layers × 2 heads. L0H0: previous token (row 6 split 0.5/0.5 between 5 and 0); L0H1: uniform
    over the past; L1: all on the first token; L2: all on itself."""
    n = len(tokens) if tokens else N
    att = np.zeros((3, 2, n, n), np.float32)
    for i in range(n):
        att[0, 0, i, max(i - 1, 0)] = 1.0
        att[0, 1, i, : i + 1] = 1.0 / (i + 1)
        att[1, :, i, 0] = 1.0
        att[2, :, i, i] = 1.0
    att[0, 0, 6] = 0
    att[0, 0, 6, [5, 0]] = 0.5
    tokens = tokens or [f"t{i}" for i in range(n)]
    return Trace(tokens=tokens, token_ids=np.arange(n), special=[False] * n, model_name="hand-made",
                 model_type="test", stacks={"self": Stack("self", "input", "input", eager=att)})


def png(lens: al.Lens, tmp_path: pathlib.Path, name: str = "v.png") -> np.ndarray:
    path = lens.save_png(tmp_path / name)
    assert path == str(tmp_path / name)
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def midpoint(sc: images.Scene, i: int, j: int) -> tuple[int, int]:
    x1, x2 = images.line_x(sc)
    return round((x1 + x2) / 2), round((images.row_y(sc, i) + images.row_y(sc, j)) / 2)


def test_size_grows_with_the_tokens(tmp_path) -> None:
    small = png(al.Lens(hand_made()), tmp_path, "a.png")
    large = png(al.Lens(hand_made([f"w{i}" for i in range(30)])), tmp_path, "b.png")
    assert small.shape[1] == large.shape[1] and 300 <= small.shape[1] <= 900
    assert large.shape[0] - small.shape[0] == 22 * images.ROW
    assert 8 * 15 < small.shape[0] < 8 * 30 + 200


def test_other_selections_give_other_pixels(tmp_path) -> None:
    lens = al.Lens(hand_made())
    base = png(lens, tmp_path)
    lens.layer = 2
    assert (png(lens, tmp_path) != base).any()
    lens.layer, lens.token = 0, 4
    assert (png(lens, tmp_path) != base).any()
    lens.token, lens.mode = None, "heatmap"
    heat = png(lens, tmp_path)
    assert heat.shape != base.shape or (heat != base).any()


def test_line_pixels_sit_where_the_attention_is(tmp_path) -> None:
    lens = al.Lens(hand_made())
    lens.heads = [0]
    image = png(lens, tmp_path)
    sc = images.scene(lens)
    x, y = midpoint(sc, 4, 3)  # weight 1: full head colour
    assert tuple(image[y, x]) == BLUE
    x, y = midpoint(sc, 7, 3)  # weight 0: nothing drawn there (and no other line crosses there)
    assert tuple(image[y, x]) == (255, 255, 255)
    x, y = midpoint(sc, 6, 5)  # weight 0.5: half-way between white and the colour
    np.testing.assert_allclose(image[y, x], [(255 + c) / 2 for c in BLUE], atol=2)


def test_a_locked_token_draws_only_its_lines(tmp_path) -> None:
    lens = al.Lens(hand_made())
    lens.heads, lens.token = [0], 6
    image, sc = png(lens, tmp_path), images.scene(lens)
    assert {(ln.query, ln.key) for ln in sc.lines} == {(6, 5), (6, 0)}
    x, y = midpoint(sc, 4, 3)
    assert tuple(image[y, x]) == (255, 255, 255)


def parse(lens: al.Lens, tmp_path: pathlib.Path) -> ET.Element:
    return ET.parse(lens.save_svg(tmp_path / "v.svg")).getroot()


def test_svg_lines_are_the_pairs_above_threshold_at_their_weight(tmp_path) -> None:
    tr = hand_made()
    lens = al.Lens(tr)
    lens.heads = [0, 1]
    root = parse(lens, tmp_path)
    lines = root.findall(f".//{SVG}line")
    att = tr.attention(0)
    assert len(lines) == int((att >= images.DRAW_THRESHOLD).sum()) == N + 1 + N * (N + 1) // 2
    sc = images.scene(lens)
    rows = {images.row_y(sc, i): i for i in range(N)}
    for line in lines:
        h, i, j = int(line.get("data-head", -1)), rows[float(line.get("y1", 0))], rows[float(line.get("y2", 0))]
        assert float(line.get("stroke-opacity", -1)) == pytest.approx(att[h, i, j], abs=0.005)
    assert root.get("width") and root.find(f"{SVG}rect") is not None  # white background first
    assert "hand-made · layer 0" in (root.findtext(f"{SVG}title") or "")


HOSTILE = "</text><script>alert(1)</script>"


def test_hostile_token_text_stays_text(tmp_path) -> None:
    tokens = [f"t{i}" for i in range(N)]
    tokens[2], tokens[3] = HOSTILE, "a\x00b\x1b"
    lens = al.Lens(hand_made(tokens))
    lens.token = 2  # the title quotes it too
    for mode in ("lines", "heatmap"):
        lens.mode = mode
        root = parse(lens, tmp_path)
        assert not [e for e in root.iter() if e.tag.endswith("script")]
        texts = [e.text or "" for e in root.iter(f"{SVG}text")]
        assert images.label(HOSTILE) in texts and "a␀b␛" in texts
        assert images.label(HOSTILE) in (root.findtext(f"{SVG}title") or "")


def test_heatmap_is_the_mean_of_the_selected_heads(tmp_path) -> None:
    lens = al.Lens(hand_made())
    lens.mode, lens.heads = "heatmap", [0, 1]
    sc = images.scene(lens)
    expected = hand_made().attention(0).mean(axis=0)
    assert sc.heat is not None
    np.testing.assert_allclose(sc.heat, expected / expected.max(), atol=1e-6)
    cells = [r for r in parse(lens, tmp_path).iter(f"{SVG}rect") if r.get("width") == str(sc.cell)]
    assert len(cells) >= N * N
    image = png(lens, tmp_path)
    c = sc.cell
    x0 = images.PAD + images.BOX
    assert tuple(image[sc.top + c // 2, x0 + c // 2]) == images.HEAT  # row 0 → key 0: the maximum
    assert tuple(image[sc.top + c // 2, x0 + 3 * c + c // 2]) == (255, 255, 255)  # the future: zero


def test_bad_paths_are_refused_clearly(tmp_path) -> None:
    lens = al.Lens(hand_made())
    with pytest.raises(ValueError, match=r"path must end in \.png.*use save_svg"):
        lens.save_png(tmp_path / "v.svg")
    with pytest.raises(ValueError, match=r"must end in \.svg"):
        lens.save_svg(tmp_path / "v.jpeg")
    with pytest.raises(ValueError, match="cannot write the image"):
        lens.save_png(tmp_path / "missing" / "v.png")
    assert Image.open(io.BytesIO(images.png_bytes(lens, max_width=200))).width == 200
