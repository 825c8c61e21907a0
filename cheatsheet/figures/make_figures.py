"""Generate the figures used by the cheat-sheets (stdlib only, deterministic output).

Run ``python cheatsheet/figures/make_figures.py`` to (re)write ``normalization-axes.svg``
next to this script. ``tests/test_figures.py`` checks that the committed SVG is up to date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from xml.sax.saxutils import escape

# Size of the drawn activation block: N samples (depth), C channels (x), H*W positions (y).
N_SAMPLES = 4
N_CHANNELS = 6
N_POSITIONS = 6
GROUP_SIZE = 2  # GroupNorm panel: C=6 channels split into 3 groups of 2 channels

CELL = 16  # edge of one cell on the front face, in px
DEPTH_DX = 8  # oblique projection: one step along N moves the face right ...
DEPTH_DY = -8  # ... and up
PANEL_WIDTH = 210
PANEL_HEIGHT = 232
BLOCK_X = 57  # left edge of the front face inside a panel
BLOCK_Y = 30 + N_SAMPLES * -DEPTH_DY  # top edge of the front face inside a panel

STROKE = "#3c3c3c"
FILL = {"front": "#ffffff", "top": "#ededed", "side": "#d9d9d9"}
FILL_HIGHLIGHT = {"front": "#7fb2e5", "top": "#6399cf", "side": "#4f86bd"}

Selector = Callable[[int, int, int], bool]

# (panel id, title, subtitle, which cells (n, c, hw) share one mean/variance)
PANELS: tuple[tuple[str, str, str, Selector], ...] = (
    ("batchnorm", "Batch Norm", "mean/var over N, H, W", lambda n, c, p: c == 0),
    ("layernorm", "Layer Norm", "mean/var over C, H, W", lambda n, c, p: n == 0),
    ("instancenorm", "Instance Norm", "mean/var over H, W", lambda n, c, p: n == 0 and c == 0),
    (
        "groupnorm",
        "Group Norm",
        "mean/var over C/G, H, W",
        lambda n, c, p: n == 0 and c // GROUP_SIZE == 0,
    ),
)


def _points(coords: Iterable[tuple[int, int]]) -> str:
    return " ".join(f"{x},{y}" for x, y in coords)


def _polygon(coords: Iterable[tuple[int, int]], face: str, highlighted: bool) -> str:
    fill = (FILL_HIGHLIGHT if highlighted else FILL)[face]
    css = f"cell {face}" + (" hl" if highlighted else "")
    return f'<polygon class="{css}" points="{_points(coords)}" fill="{fill}"/>'


def _block(selected: Selector) -> list[str]:
    """Visible faces of the N x C x (H*W) block; cells picked by ``selected`` are highlighted."""
    out: list[str] = []

    def origin(n: int, c: int, p: int) -> tuple[int, int]:
        return BLOCK_X + c * CELL + n * DEPTH_DX, BLOCK_Y + p * CELL + n * DEPTH_DY

    # Back to front so that nearer faces are painted last.
    for n in reversed(range(N_SAMPLES)):
        for c in range(N_CHANNELS):  # top faces (first H*W row)
            x, y = origin(n, c, 0)
            top = [
                (x, y),
                (x + CELL, y),
                (x + CELL + DEPTH_DX, y + DEPTH_DY),
                (x + DEPTH_DX, y + DEPTH_DY),
            ]
            out.append(_polygon(top, "top", selected(n, c, 0)))
        for p in range(N_POSITIONS):  # right side faces (last channel)
            x, y = origin(n, N_CHANNELS - 1, p)
            x += CELL
            side = [
                (x, y),
                (x + DEPTH_DX, y + DEPTH_DY),
                (x + DEPTH_DX, y + DEPTH_DY + CELL),
                (x, y + CELL),
            ]
            out.append(_polygon(side, "side", selected(n, N_CHANNELS - 1, p)))
    for c in range(N_CHANNELS):  # front faces (sample n = 0)
        for p in range(N_POSITIONS):
            x, y = origin(0, c, p)
            front = [(x, y), (x + CELL, y), (x + CELL, y + CELL), (x, y + CELL)]
            out.append(_polygon(front, "front", selected(0, c, p)))
    return out


def _text(
    x: int, y: int, text: str, *, size: int = 13, weight: str = "normal", extra: str = ""
) -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return f'<text x="{x}" y="{y}" font-size="{size}"{bold}{extra}>{escape(text)}</text>'


def _axis_labels() -> list[str]:
    front_w = N_CHANNELS * CELL
    front_h = N_POSITIONS * CELL
    depth_x = N_SAMPLES * DEPTH_DX
    depth_y = N_SAMPLES * DEPTH_DY
    mid_y = BLOCK_Y + front_h // 2
    return [
        _text(BLOCK_X + front_w // 2, BLOCK_Y + front_h + 18, "C", extra=' font-style="italic"'),
        _text(BLOCK_X - 10, mid_y + 4, "H, W", extra=' text-anchor="end" font-style="italic"'),
        _text(
            BLOCK_X + depth_x // 2 - 8,
            BLOCK_Y + depth_y // 2 - 2,
            "N",
            extra=' text-anchor="end" font-style="italic"',
        ),
    ]


def _group_boundaries() -> list[str]:
    """Thick lines between channel groups (front and top face) for the GroupNorm panel."""
    out = ['<g stroke="#1a1a1a" stroke-width="2.5" stroke-linecap="round">']
    x_top = BLOCK_X + N_SAMPLES * DEPTH_DX
    y_top = BLOCK_Y + N_SAMPLES * DEPTH_DY
    for c in range(GROUP_SIZE, N_CHANNELS, GROUP_SIZE):
        x = BLOCK_X + c * CELL
        path = _points([(x, BLOCK_Y + N_POSITIONS * CELL), (x, BLOCK_Y), (x_top + c * CELL, y_top)])
        out.append(f'<polyline points="{path}" fill="none"/>')
    out.append("</g>")
    return out


def _panel(index: int, panel_id: str, title: str, subtitle: str, selected: Selector) -> list[str]:
    center = BLOCK_X + (N_CHANNELS * CELL + N_SAMPLES * DEPTH_DX) // 2
    bottom = BLOCK_Y + N_POSITIONS * CELL
    lines = [
        f'<g class="panel" id="panel-{panel_id}" transform="translate({index * PANEL_WIDTH},0)">'
    ]
    lines.append(f'<g stroke="{STROKE}" stroke-width="1" stroke-linejoin="round">')
    lines.extend(_block(selected))
    lines.append("</g>")
    if panel_id == "groupnorm":
        lines.extend(_group_boundaries())
    lines.extend(_axis_labels())
    lines.append(
        _text(center, bottom + 48, title, size=15, weight="bold", extra=' text-anchor="middle"')
    )
    lines.append(_text(center, bottom + 68, subtitle, size=12, extra=' text-anchor="middle"'))
    lines.append("</g>")
    return lines


def render_normalization_axes() -> str:
    """Return the SVG text of the BatchNorm / LayerNorm / InstanceNorm / GroupNorm figure."""
    width = PANEL_WIDTH * len(PANELS)
    height = PANEL_HEIGHT
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" '
        f'fill="#1a1a1a">',
        "<title>Normalization methods: which cells share one mean and variance</title>",
        "<desc>Each panel shows an activation block of N samples by C channels by H*W positions. "
        "Blue cells are normalized with the same mean and variance: BatchNorm over N, H, W; "
        "LayerNorm over C, H, W; InstanceNorm over H, W; GroupNorm over a group of channels "
        "and H, W.</desc>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for index, (panel_id, title, subtitle, selected) in enumerate(PANELS):
        lines.extend(_panel(index, panel_id, title, subtitle, selected))
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def main() -> None:
    target = Path(__file__).with_name("normalization-axes.svg")
    target.write_text(render_normalization_axes(), encoding="utf-8", newline="\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
