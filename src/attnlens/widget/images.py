"""The current selection of a Lens as a PNG or SVG image, drawn in Python (no browser needed).

Papers, slides and READMEs need a picture, and a browser is not always at hand. One ``Scene`` is
computed from the Lens (what the page would show: head view lines as BertViz draws them, or the
heatmap), then written by two small painters that share its layout, so PNG and SVG agree.
"""

from __future__ import annotations

import base64
import io
import os
import pathlib
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from attnlens.widget.wire import LensState

# The widget's light head palette (js/src/colors.ts): Okabe-Ito based, colour-blind checked.
HEAD_COLOURS = ("#0072b2", "#d55e00", "#007a5a", "#8a2be2", "#c06c9c", "#5c4a00", "#7b7bf0", "#d1005a",
                "#5430b4", "#333333")
DRAW_THRESHOLD = 0.01  # a line fainter than 1% opacity is invisible; skipping it keeps files small
FG, MUTED, ACCENT, HEAT = "#1f2328", "#5f6368", "#1565c0", (8, 48, 107)
PAD, TITLE_H, SWATCH, ROW = 16, 24, 14, 20
BOX, MATRIX = 140, 170  # label column and line band widths (BertViz: 110 and 115)
FONT_SIZE, LABEL_CHARS = 13, 18
RECT_LIMIT = 128 * 128  # heatmaps larger than this are one embedded bitmap in the SVG, not rects


@dataclass
class Line:
    head: int
    query: int
    key: int
    weight: float
    colour: str


@dataclass
class Scene:
    """Everything both painters need, in pixels."""

    title: str
    left: list[str]
    right: list[str]
    width: int
    height: int
    top: int  # y of the first token row
    token: int | None
    heads: list[tuple[int, str]]  # (head, colour) swatches
    lines: list[Line] = field(default_factory=list)
    heat: np.ndarray | None = None  # [queries, keys] in [0, 1] (scaled by its max)
    cell: int = 0


def label(token: str) -> str:
    """Printable, XML-legal token text: control characters become their visible symbols, long ones end in …."""
    shown = "".join(chr(0x2400 + ord(c)) if ord(c) < 0x20 else "␡" if c == "\x7f" else c for c in token)
    return shown if len(shown) <= LABEL_CHARS else shown[: LABEL_CHARS - 1] + "…"


def _title(lens: LensState, left: list[str]) -> str:
    trace = lens.trace
    parts = [f"{trace.model_name} · layer {lens.layer}"]
    if len(trace.stacks) > 1:
        parts.append(f"{lens.stack} attention")
    parts.append("heads " + (",".join(map(str, lens.heads)) if lens.heads else "none"))
    if lens.token is not None and lens.token < len(left):
        parts.append(f"token {lens.token} {label(left[lens.token])!r}")
    return " · ".join(parts)


def scene(lens: LensState, mode: str | None = None, min_cell: int = 4) -> Scene:
    """What the page shows for this selection: lines (mode "lines") or the mean heatmap (``mode``
    overrides the Lens's own; heatmap cells are 24 px down to ``min_cell``)."""
    trace = lens.trace
    left, right = trace.query_tokens(lens.stack), trace.key_tokens(lens.stack)
    attention = trace.attention(lens.layer, stack=lens.stack)
    heads = [(h, HEAD_COLOURS[h % len(HEAD_COLOURS)]) for h in lens.heads]
    token = lens.token if lens.token is not None and lens.token < len(left) else None
    top = PAD + TITLE_H + SWATCH + 12
    title = _title(lens, left)
    if (mode or lens.mode) == "heatmap":
        cell = int(np.clip(600 // max(len(left), len(right), 1), min_cell, 24))
        mean = attention[lens.heads].mean(axis=0) if lens.heads else np.zeros(attention.shape[1:], np.float32)
        peak = float(mean.max()) if mean.size else 0.0
        heat = mean / peak if peak > 0 else mean
        top += BOX  # room for the rotated key labels
        width = max(PAD * 2 + BOX + cell * len(right), 480)
        height = top + cell * len(left) + PAD
        return Scene(f"{title} · mean, max {peak:.2f}", left, right, width, height, top, token, heads,
                     heat=heat, cell=cell)
    rows = range(len(left)) if token is None else [token]
    lines = [
        Line(h, i, j, float(attention[h, i, j]), colour)
        for h, colour in heads
        for i in rows
        for j in np.flatnonzero(attention[h, i] >= DRAW_THRESHOLD).tolist()
    ]
    height = top + max(len(left), len(right)) * ROW + PAD
    return Scene(title, left, right, PAD * 2 + BOX * 2 + MATRIX, height, top, token, heads, lines)


def row_y(sc: Scene, i: int) -> float:
    """Vertical centre of token row ``i`` (lines view)."""
    return sc.top + i * ROW + ROW / 2


def line_x(sc: Scene) -> tuple[float, float]:
    """Where lines start (right edge of the left labels) and end (left edge of the right labels)."""
    return PAD + BOX, PAD + BOX + MATRIX


def label_step(cell: int) -> int:
    """Label every token while cells are tall enough to read (10 px), else every ``step``-th."""
    return -(-10 // cell)


def _heat_rgb(heat: np.ndarray) -> np.ndarray:
    """White → dark blue, uint8 [..., 3]."""
    v = np.clip(heat, 0.0, 1.0)[..., None]
    return np.rint(255 + v * (np.array(HEAT, np.float32) - 255)).astype(np.uint8)


# --- SVG -----------------------------------------------------------------------------------------
def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}" dominant-baseline="middle"{extra}>'
            f"{escape(text)}</text>")


def svg(sc: Scene) -> str:
    """The scene as SVG text: <line>, <rect> and <text> elements, every token escaped."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{sc.width}" height="{sc.height}" '
        f'viewBox="0 0 {sc.width} {sc.height}" font-family="DejaVu Sans, sans-serif" font-size="{FONT_SIZE}">',
        f"<title>{escape(sc.title)}</title>",
        f'<rect width="{sc.width}" height="{sc.height}" fill="#ffffff"/>',
        f'<g fill="{FG}" font-weight="bold">{_text(PAD, PAD + 8, sc.title)}</g>',
    ]
    for n, (head, colour) in enumerate(sc.heads):
        out.append(f'<rect x="{PAD + n * (SWATCH + 4)}" y="{PAD + TITLE_H}" width="{SWATCH}" height="{SWATCH}" '
                   f'fill="{colour}" data-head="{head}"/>')
    out += _svg_heatmap(sc) if sc.heat is not None else _svg_lines(sc)
    out.append("</svg>")
    return "\n".join(out)


def _svg_lines(sc: Scene) -> list[str]:
    x1, x2 = line_x(sc)
    out = []
    if sc.token is not None:
        y = sc.top + sc.token * ROW
        out.append(f'<rect x="{PAD}" y="{y}" width="{BOX - 4}" height="{ROW}" fill="{ACCENT}" fill-opacity="0.18"/>')
    out.append(f'<g fill="{FG}">')
    out += [_text(x1 - 6, row_y(sc, i), label(t), "end", f' data-token-index="{i}"') for i, t in enumerate(sc.left)]
    out += [_text(x2 + 6, row_y(sc, j), label(t), "start", f' data-key-index="{j}"') for j, t in enumerate(sc.right)]
    out.append("</g>")
    width = 3 if sc.token is not None else 2
    out.append(f'<g stroke-width="{width}">')
    out += [
        f'<line x1="{x1:g}" y1="{row_y(sc, ln.query):g}" x2="{x2:g}" y2="{row_y(sc, ln.key):g}" stroke="{ln.colour}" '
        f'stroke-opacity="{ln.weight:.3f}" data-head="{ln.head}"/>'
        for ln in sc.lines
    ]
    out.append("</g>")
    return out


def _svg_heatmap(sc: Scene) -> list[str]:
    assert sc.heat is not None
    c, x0 = sc.cell, PAD + BOX
    rows, cols = sc.heat.shape
    step = label_step(c)
    out = [f'<g fill="{FG}" font-size="{min(FONT_SIZE, c * step + 2)}">']
    out += [_text(x0 - 6, sc.top + i * c + c / 2, label(t), "end") for i, t in enumerate(sc.left) if i % step == 0]
    out += [_text(x0 + j * c + c / 2, sc.top - 6, label(t), "start",
                  f' transform="rotate(-90 {x0 + j * c + c / 2:g} {sc.top - 6})"')
            for j, t in enumerate(sc.right) if j % step == 0]
    out.append("</g>")
    rgb = _heat_rgb(sc.heat)
    if rows * cols <= RECT_LIMIT:
        out += [f'<rect x="{x0 + j * c}" y="{sc.top + i * c}" width="{c}" height="{c}" '
                f'fill="#{rgb[i, j, 0]:02x}{rgb[i, j, 1]:02x}{rgb[i, j, 2]:02x}"/>'
                for i in range(rows) for j in range(cols)]
    else:
        data = base64.b64encode(_png_bytes(Image.fromarray(rgb).resize((cols * c, rows * c), Image.Resampling.NEAREST)))
        out.append(f'<image x="{x0}" y="{sc.top}" width="{cols * c}" height="{rows * c}" '
                   f'href="data:image/png;base64,{data.decode("ascii")}"/>')
    if sc.token is not None:
        out.append(f'<rect x="{x0}" y="{sc.top + sc.token * c}" width="{cols * c}" height="{c}" fill="none" '
                   f'stroke="{ACCENT}" stroke-width="2"/>')
    return out


# --- PNG -----------------------------------------------------------------------------------------
def _font(size: int) -> Any:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size)  # Pillow's bundled font: never a download


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def png_image(sc: Scene) -> Image.Image:
    """The scene painted with Pillow, same layout as the SVG."""
    image = Image.new("RGB", (sc.width, sc.height), "white")
    draw = ImageDraw.Draw(image, "RGBA")  # RGBA drawing blends translucent lines onto the white page
    font = _font(FONT_SIZE)
    draw.text((PAD, PAD + 8), sc.title, fill=FG, font=font, anchor="lm")
    for n, (_, colour) in enumerate(sc.heads):
        x = PAD + n * (SWATCH + 4)
        draw.rectangle((x, PAD + TITLE_H, x + SWATCH - 1, PAD + TITLE_H + SWATCH - 1), fill=colour)
    if sc.heat is not None:
        _png_heatmap(image, draw, sc)
        return image
    x1, x2 = line_x(sc)
    if sc.token is not None:
        y = sc.top + sc.token * ROW
        draw.rectangle((PAD, y, PAD + BOX - 5, y + ROW - 1), fill=(*_rgb(ACCENT), 46))
    for i, t in enumerate(sc.left):
        draw.text((x1 - 6, row_y(sc, i)), label(t), fill=FG, font=font, anchor="rm")
    for j, t in enumerate(sc.right):
        draw.text((x2 + 6, row_y(sc, j)), label(t), fill=FG, font=font, anchor="lm")
    width = 3 if sc.token is not None else 2
    for ln in sc.lines:
        alpha = round(ln.weight * 255)
        draw.line((x1, row_y(sc, ln.query), x2, row_y(sc, ln.key)), fill=(*_rgb(ln.colour), alpha), width=width)
    return image


def _png_heatmap(image: Image.Image, draw: ImageDraw.ImageDraw, sc: Scene) -> None:
    assert sc.heat is not None
    c, x0 = sc.cell, PAD + BOX
    rows, cols = sc.heat.shape
    step = label_step(c)
    font = _font(min(FONT_SIZE, c * step + 2))
    strip = Image.new("RGBA", (BOX, cols * c), (255, 255, 255, 0))  # key labels: drawn flat, turned once
    ink = ImageDraw.Draw(strip)
    for j, t in enumerate(sc.right):
        if j % step == 0:
            ink.text((0, j * c + c / 2), label(t), fill=FG, font=font, anchor="lm")
    turned = strip.rotate(90, expand=True)
    image.paste(turned, (x0, sc.top - 6 - BOX), turned)
    for i, t in enumerate(sc.left):
        if i % step == 0:
            draw.text((x0 - 6, sc.top + i * c + c / 2), label(t), fill=FG, font=font, anchor="rm")
    cells = Image.fromarray(_heat_rgb(sc.heat)).resize((cols * c, rows * c), Image.Resampling.NEAREST)
    image.paste(cells, (x0, sc.top))
    if sc.token is not None:
        y = sc.top + sc.token * c
        draw.rectangle((x0, y, x0 + cols * c - 1, y + c - 1), outline=ACCENT, width=2)


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def png_bytes(lens: LensState, max_width: int | None = None, mode: str | None = None, min_cell: int = 4) -> bytes:
    """The current view as PNG bytes, scaled down to ``max_width`` pixels when wider."""
    image = png_image(scene(lens, mode, min_cell))
    if max_width is not None and image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.Resampling.LANCZOS)
    return _png_bytes(image)


# --- files ---------------------------------------------------------------------------------------
def _target(path: str | os.PathLike[str], suffix: str, other: str) -> pathlib.Path:
    target = pathlib.Path(path)
    if target.suffix.lower() != suffix:
        raise ValueError(
            f"save_{suffix[1:]} writes {suffix[1:].upper()}: the path must end in {suffix} "
            f"(got {target.name!r}); use save_{other} for .{other}"
        )
    return target


def _write(target: pathlib.Path, data: bytes) -> str:
    try:
        target.write_bytes(data)
    except OSError as err:
        raise ValueError(f"cannot write the image to {str(target)!r}: {err.strerror or err}") from err
    return str(target)


def save_png(lens: LensState, path: str | os.PathLike[str]) -> str:
    """Write the current view as a PNG; returns the path."""
    target = _target(path, ".png", "svg")
    return _write(target, png_bytes(lens))


def save_svg(lens: LensState, path: str | os.PathLike[str]) -> str:
    """Write the current view as an SVG (token text stays text, escaped); returns the path."""
    target = _target(path, ".svg", "png")
    return _write(target, svg(scene(lens)).encode("utf-8"))
