"""Figures drawn from an instance's data, in every format: rich renderables for the terminal,
plain text for markdown, inline SVG for HTML and TikZ for LaTeX.

Labels are plain text (they may come from parameters): SVG escapes them, TikZ escapes them
and sets numbers in math mode. Layouts are computed here, in abstract units, so SVG and TikZ
draw the same picture."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
CHAR = 0.62  # average glyph width, in font sizes, used to size boxes around text
INK, ACCENT, ACCENT_FILL, MUTED = "#222", "#1d4ed8", "#dbe7ff", "#555"
_NUMBER = re.compile(r"[-−+]?\d+(\.\d+)?(/\d+)?")


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR


def tex_label(text: str) -> str:
    """A figure label as LaTeX: numbers in math mode (a real minus sign), other text escaped."""
    from grader.markup import latex_text

    text = str(text)
    if _NUMBER.fullmatch(text):
        return f"${text.replace('−', '-')}$"
    return latex_text(text)


def number_text(text: str) -> str:
    """A label as shown in SVG and the terminal: numbers with real minus signs (−0.26, [2, −1])."""
    from grader.markup import minus_signs

    return minus_signs(str(text))


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="figure-svg" role="img" '
            f'aria-label="{escape(label or "figure")}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" font-family="{FONT}" font-size="13" '
            f'fill="{INK}">' + "".join(body) + "</svg>")


def _svg_text(x: float, y: float, text: str, *, anchor: str = "middle", size: float = 13,
              weight: str = "normal", fill: str = INK, halo: bool = False) -> str:
    extra = ' stroke="#fff" stroke-width="4" paint-order="stroke"' if halo else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" dominant-baseline="central" '
            f'font-size="{size}" font-weight="{weight}" fill="{fill}"{extra}>{escape(number_text(text))}</text>')


def _tikz(body: list[str], options: str = "") -> str:
    return (f"\\begin{{tikzpicture}}[{options}]\n" + "\n".join(body) + "\n\\end{tikzpicture}")


@dataclass
class TreeFigure:
    """A rooted tree with labelled nodes and edges (the beam-search tree of log-probabilities)."""

    label: str
    children: list["TreeFigure"] = field(default_factory=list)
    edge: str = ""
    highlight: bool = False
    caption: str = ""

    def _line(self) -> str:
        return f"{self.label} ({number_text(self.edge)})" if self.edge else self.label

    def rich(self):
        from rich.tree import Tree

        def build(node, into):
            for child in node.children:
                style = "bold" if child.highlight else ""
                build(child, into.add(child._line(), style=style))
            return into

        tree = build(self, Tree(self._line(), guide_style="dim"))
        if not self.caption:
            return tree
        from rich.console import Group
        from rich.text import Text

        return Group(tree, Text(self.caption, style="dim italic"))

    def text(self) -> str:
        lines = [self._line()]

        def walk(node, prefix):
            for i, child in enumerate(node.children):
                last = i == len(node.children) - 1
                lines.append(f"{prefix}{'└── ' if last else '├── '}{child._line()}")
                walk(child, prefix + ("    " if last else "│   "))

        walk(self, "")
        if self.caption:
            lines.append("")
            lines.append(self.caption)
        return "\n".join(lines)

    def _layout(self):
        """Nodes left to right by depth, leaves one row apart, parents centred on their
        children: [(node, depth, row, parent index or None)]."""
        placed: list = []
        leaves = [0]

        def place(node, depth, parent):
            index = len(placed)
            placed.append([node, depth, 0.0, parent])
            rows = [place(child, depth + 1, index) for child in node.children]
            if rows:
                placed[index][2] = (rows[0] + rows[-1]) / 2
            else:
                placed[index][2] = leaves[0]
                leaves[0] += 1
            return placed[index][2]

        place(self, 0, None)
        depth = max(d for _, d, _, _ in placed)
        label = [max(len(n.label) for n, d, _, _ in placed if d == k) for k in range(depth + 1)]
        edge = [max([len(n.edge) for n, d, _, _ in placed if d == k] + [0]) for k in range(depth + 1)]
        columns = [0.0]
        for k in range(depth):  # column width in characters: the labels, then room for the edge's
            columns.append(columns[-1] + max(label[k], 1) + 3 + edge[k + 1] + 3)
        return placed, columns, leaves[0]

    def svg(self) -> str:
        placed, columns, rows = self._layout()
        size, row_h, pad = 13, 30, 12
        cw = size * CHAR
        boxes = []
        for node, depth, row, _ in placed:
            w = text_width(node.label, size) + 14 if node.label else 10
            boxes.append((pad + columns[depth] * cw, pad + row * row_h + row_h / 2, w))
        lines, labels = [], []  # every line first, then every label: no line strikes through a label
        for (node, _, _, parent), (x, y, _) in zip(placed, boxes):
            if parent is None:
                continue
            px, py, pw = boxes[parent]
            colour, width = (ACCENT, 2) if node.highlight else ("#999", 1)
            lines.append(f'<line x1="{px + pw:.1f}" y1="{py:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                         f'stroke="{colour}" stroke-width="{width}"/>')
            if node.edge:
                ex, ey = px + pw + 0.62 * (x - px - pw), py + 0.62 * (y - py)
                labels.append(_svg_text(ex, ey, node.edge, size=11, fill=MUTED, halo=True))
        body = lines + labels
        for (node, _, _, _), (x, y, w) in zip(placed, boxes):
            fill, stroke = (ACCENT_FILL, ACCENT) if node.highlight else ("#fff", "#888")
            if not node.label:
                body.append(f'<circle cx="{x + 5:.1f}" cy="{y:.1f}" r="5" fill="{INK}"/>')
                continue
            body.append(f'<rect x="{x:.1f}" y="{y - 11:.1f}" width="{w:.1f}" height="22" rx="5" '
                        f'fill="{fill}" stroke="{stroke}"/>')
            body.append(_svg_text(x + w / 2, y, node.label, weight="bold" if node.highlight else "normal"))
        width = max(x + w for x, _, w in boxes) + pad
        return _svg(width, rows * row_h + 2 * pad, body, self.caption or "tree")

    def tikz(self) -> str:
        """The tree in PGF's basic layer (`\\grline`, `\\grbox`, ... of the document preamble):
        every coordinate is computed here, nodes of a column share a width, so TeX parses no
        TikZ node (a TikZ tree of 40 nodes cost about 0.3 s, most of a student's exam)."""
        placed, columns, rows = self._layout()
        row_h, unit, height = (0.62 if rows <= 24 else 0.55), 0.19, 0.45
        depth = max(d for _, d, _, _ in placed)
        widths = [max(len(n.label) for n, d, _, _ in placed if d == k) * unit + 0.3 for k in range(depth + 1)]
        where = []  # (x of the west side, y, width) of each node
        for node, d, row, _ in placed:
            where.append((columns[d] * unit, -row * row_h, widths[d] if node.label else 0.14))
        edges, boxes, labels = [], [], []  # every edge first, then the nodes, then every label on top
        for i, (node, _, _, parent) in enumerate(placed):
            x, y, w = where[i]
            if node.label:
                fill, stroke, width, font = ("blue!8", "blue!70!black", "1.2pt", "\\small\\bfseries") if node.highlight \
                    else ("white", "gray", "0.4pt", "\\small")
                boxes.append(f"\\grbox{{{x:.2f}}}{{{y - height / 2:.3f}}}{{{w:.2f}}}{{{height}}}{{{fill}}}{{{stroke}}}{{{width}}}"
                             f"\\grtext{{{x + w / 2:.3f}}}{{{y:.3f}}}{{{font} {tex_label(node.label)}}}")
            else:
                boxes.append(f"\\grdot{{{x + 0.07:.2f}}}{{{y:.3f}}}")
            if parent is None:
                continue
            px, py, pw = where[parent]
            colour, width = ("blue!70!black", "1.2pt") if node.highlight else ("gray", "0.4pt")
            edges.append(f"\\grline{{{px + pw:.3f}}}{{{py:.3f}}}{{{x:.3f}}}{{{y:.3f}}}{{{colour}}}{{{width}}}")
            if node.edge:
                ex, ey = px + pw + 0.62 * (x - px - pw), py + 0.62 * (y - py)
                labels.append(f"\\grlabel{{{ex:.3f}}}{{{ey:.3f}}}{{{tex_label(node.edge)}}}")
        return _tikz(edges + boxes + labels)


@dataclass
class GraphFigure:
    """An undirected graph whose nodes carry labels (their feature vectors)."""

    nodes: list[str]
    edges: list[tuple[str, str]]
    labels: dict[str, str] = field(default_factory=dict)
    highlight: list[str] = field(default_factory=list)
    caption: str = ""

    def neighbours(self, node: str) -> list[str]:
        return [b if a == node else a for a, b in self.edges if node in (a, b)]

    def _rows(self) -> list[tuple[str, str, str]]:
        return [(n, self.labels.get(n, ""), ", ".join(self.neighbours(n)) or "none") for n in self.nodes]

    def rich(self):
        from rich.table import Table

        table = Table(title=self.caption or None, title_justify="left")
        for col in ("node", "vector", "neighbours"):
            table.add_column(col)
        for node, label, neigh in self._rows():
            table.add_row(node, label, neigh, style="bold" if node in self.highlight else "")
        return table

    def text(self) -> str:
        lines = [f"{n}  {label}  — neighbours: {neigh}" for n, label, neigh in self._rows()]
        lines.append("edges: " + ", ".join(f"{a}–{b}" for a, b in self.edges))
        if self.caption:
            lines += ["", self.caption]
        return "\n".join(lines)

    def _layout(self) -> dict[str, tuple[float, float, float]]:
        """Node positions without crossing edges where the graph allows (`plane_layout`):
        name -> (x, y, angle of its label), in units of the node radius, y pointing down."""
        order, centre = plane_layout(tuple(self.nodes), tuple(tuple(e) for e in self.edges))
        return _positions(order, centre)

    def svg(self) -> str:
        unit, size = 26, 13
        pos = self._layout()
        items, boxes = [], []
        for node, (x, y, angle) in pos.items():
            label = self.labels.get(node, "")
            cx, cy = x * unit, y * unit
            r = max(unit, text_width(node, size) / 2 + 6)
            boxes.append((cx - r, cy - r, cx + r, cy + r))
            if label:
                w = text_width(label, 12)
                dx, dy = math.cos(angle), math.sin(angle)
                lx, ly = cx + dx * (r + 8), cy + dy * (r + 10)
                anchor = "start" if dx > 0.35 else "end" if dx < -0.35 else "middle"
                left = {"start": lx, "end": lx - w, "middle": lx - w / 2}[anchor]
                boxes.append((left, ly - 9, left + w, ly + 9))
                items.append(("label", lx, ly, label, anchor))
            items.append(("node", cx, cy, node, r))
        x0, y0 = min(b[0] for b in boxes) - 10, min(b[1] for b in boxes) - 10
        width, height = max(b[2] for b in boxes) + 10 - x0, max(b[3] for b in boxes) + 10 - y0
        body = []
        for a, b in self.edges:
            (xa, ya, _), (xb, yb, _) = pos[a], pos[b]
            body.append(f'<line x1="{xa * unit - x0:.1f}" y1="{ya * unit - y0:.1f}" x2="{xb * unit - x0:.1f}" '
                        f'y2="{yb * unit - y0:.1f}" stroke="#777" stroke-width="1.5"/>')
        for kind, x, y, text, extra in items:
            if kind == "label":
                body.append(_svg_text(x - x0, y - y0, text, anchor=extra, size=12, fill=MUTED))
                continue
            hl = text in self.highlight
            body.append(f'<circle cx="{x - x0:.1f}" cy="{y - y0:.1f}" r="{extra:.1f}" '
                        f'fill="{ACCENT_FILL if hl else "#fff"}" stroke="{ACCENT if hl else INK}" '
                        f'stroke-width="{2 if hl else 1.2}"/>')
            body.append(_svg_text(x - x0, y - y0, text, weight="bold"))
        return _svg(width, height, body, self.caption or "graph")

    def tikz(self) -> str:
        scale = 0.5  # cm per node radius
        body = []
        ids = {node: f"v{i}" for i, node in enumerate(self.nodes)}
        for node, (x, y, angle) in self._layout().items():
            label = self.labels.get(node, "")
            style = "gn, hl" if node in self.highlight else "gn"
            extra = (f", label={{[gl]{-math.degrees(angle):.0f}:{tex_label(label)}}}" if label else "")
            body.append(f"\\node[{style}{extra}] ({ids[node]}) at ({x * scale:.2f}, {-y * scale:.2f}) "
                        f"{{{tex_label(node)}}};")
        for a, b in self.edges:
            body.append(f"\\draw[gray, thick] ({ids[a]}) -- ({ids[b]});")
        options = ("gn/.style={circle, draw, thick, minimum size=0.75cm, inner sep=1pt, font=\\bfseries, fill=white}, "
                   "hl/.style={draw=blue!70!black, fill=blue!8, very thick}, "
                   "gl/.style={font=\\small, text=black!75}")
        return _tikz(body, options)


def _positions(ring: tuple[str, ...], centre: str | None) -> dict[str, tuple[float, float, float]]:
    """`ring` on a circle, the first at the top, clockwise, and `centre` in the middle (its
    label below it): name -> (x, y, label angle)."""
    n = len(ring)
    radius = 0.0 if n == 1 and centre is None else max(3.6 if centre else 3.2, 1.5 / math.sin(math.pi / max(n, 2)))
    out = {}
    for i, node in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        out[node] = (round(radius * math.cos(angle), 4), round(radius * math.sin(angle), 4), angle)
    if centre is not None:
        out[centre] = (0.0, 0.0, math.pi / 2)
    return out


def _crossings(pos: dict, edges) -> int:
    """Pairs of edges that cross, and edges that pass over a node they do not join."""
    def cross(p, q, r, t):
        def side(a, b, c):
            return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return side(p, q, r) * side(p, q, t) < 0 and side(r, t, p) * side(r, t, q) < 0

    segments = [(a, b, pos[a][:2], pos[b][:2]) for a, b in edges]
    count = 0
    for i, (a, b, p, q) in enumerate(segments):
        for c, d, r, t in segments[i + 1:]:
            count += len({a, b, c, d}) == 4 and cross(p, q, r, t)
        for node, (x, y, _) in pos.items():
            if node in (a, b):
                continue
            dx, dy = q[0] - p[0], q[1] - p[1]
            k = max(0.0, min(1.0, ((x - p[0]) * dx + (y - p[1]) * dy) / (dx * dx + dy * dy or 1)))
            count += math.hypot(p[0] + k * dx - x, p[1] + k * dy - y) < 1.2
    return count


@lru_cache(maxsize=256)
def plane_layout(nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], str | None]:
    """The drawing of a small graph with the fewest crossings: its nodes in some order on a
    circle, or all but one on a circle around it (which draws wheels and K4 without
    crossings). Exhaustive up to 7 nodes, the nodes' own order beyond; ties keep the nodes'
    own order, so that the drawing changes only where it has to."""
    from itertools import permutations

    best = (_crossings(_positions(nodes, None), edges), nodes, None)
    if best[0] == 0 or len(nodes) > 7 or len(nodes) < 4:
        return best[1], best[2]
    for centre in (None,) + nodes:
        ring = [v for v in nodes if v != centre]
        for rest in permutations(ring[1:]):
            order = (ring[0],) + rest
            if rest and rest[0] > rest[-1]:
                continue  # a mirror image of another order
            count = _crossings(_positions(order, centre), edges)
            if count < best[0]:
                best = (count, order, centre)
                if count == 0:
                    return order, centre
    return best[1], best[2]


KIND_COLOURS = {  # (fill, stroke) in SVG, (fill, draw) in TikZ
    "conv2d": (("#dbe7ff", "#1d4ed8"), ("blue!10", "blue!70!black")),
    "maxpool2d": (("#dcfce7", "#15803d"), ("green!10", "green!50!black")),
    "linear": (("#ffedd5", "#c2410c"), ("orange!12", "orange!70!black")),
    "flatten": (("#f3e8ff", "#7e22ce"), ("violet!10", "violet!70!black")),
    "input": (("#f1f5f9", "#334155"), ("gray!10", "gray!70!black")),
}
PLAIN = (("#fff", "#888"), ("white", "gray"))


def layer_label(layer: dict) -> str:
    """A CNN layer (SPEC §8 cnn-shapes) as a figure label: what it does, not its code."""
    kind = layer.get("type")
    if kind == "conv2d":
        k = layer["kernel"]
        return (f"conv {k}×{k}, {layer['out_channels']} filters, "
                f"stride {layer.get('stride', 1)}, padding {layer.get('padding', 0)}")
    if kind == "maxpool2d":
        k = layer["kernel"]
        return f"max-pool {k}×{k}, stride {layer.get('stride', k)}"
    if kind == "linear":
        return f"fully connected → {layer['out_features']}"
    return {"relu": "ReLU", "flatten": "flatten"}.get(kind, str(kind))


@dataclass
class LayerStackFigure:
    """A network as a stack of layers, each a block coloured by its kind (convolution, pooling,
    fully connected, ...) with its output shape beside it (the CNN layer stack)."""

    layers: list[tuple[str, str]]
    caption: str = ""
    kinds: list[str] = field(default_factory=list)

    @classmethod
    def from_layers(cls, input_shape, layers: list[dict], shapes: list[str], caption: str = "") -> "LayerStackFigure":
        """The stack of an input [C, H, W] and SPEC layer dicts, `shapes` beside each layer."""
        rows = [("input", " × ".join(map(str, input_shape)))]
        rows += [(layer_label(layer), shape) for layer, shape in zip(layers, shapes)]
        return cls(rows, caption, ["input"] + [layer.get("type", "") for layer in layers])

    def _kind(self, i: int) -> str:
        return self.kinds[i] if i < len(self.kinds) else ""

    def _thin(self, i: int) -> bool:
        return self._kind(i) == "relu"

    def rich(self):
        from rich.table import Table

        table = Table(title=self.caption or None, title_justify="left")
        table.add_column("layer")
        table.add_column("output shape")
        for name, shape in self.layers:
            table.add_row(name, shape)
        return table

    def text(self) -> str:
        lines = [f"{name:<40} {shape}" for name, shape in self.layers]
        if self.caption:
            lines += ["", self.caption]
        return "\n".join(lines)

    def svg(self) -> str:
        size, gap, pad = 13, 18, 10
        box_w = max(text_width(name, size) for name, _ in self.layers) + 28
        shape_w = max([text_width(shape, size) for _, shape in self.layers] + [0])
        body, y, centre = [], pad, pad + box_w / 2
        for i, (name, shape) in enumerate(self.layers):
            box_h = 20 if self._thin(i) else 32
            if i:
                body.append(f'<line x1="{centre:.1f}" y1="{y - gap:.1f}" x2="{centre:.1f}" y2="{y - 3:.1f}" '
                            f'stroke="{MUTED}" stroke-width="1.5"/>')
                body.append(f'<path d="M{centre - 4:.1f},{y - 8:.1f} L{centre:.1f},{y - 2:.1f} L{centre + 4:.1f},'
                            f'{y - 8:.1f}" fill="none" stroke="{MUTED}" stroke-width="1.5"/>')
            (fill, stroke), _ = KIND_COLOURS.get(self._kind(i), PLAIN)
            inset = 24 if self._thin(i) else 0
            body.append(f'<rect x="{pad + inset}" y="{y}" width="{box_w - 2 * inset:.1f}" height="{box_h}" rx="5" '
                        f'fill="{fill}" stroke="{stroke}"/>')
            body.append(_svg_text(centre, y + box_h / 2, name, size=12 if self._thin(i) else size))
            if shape:
                body.append(_svg_text(pad + box_w + 12, y + box_h / 2, shape, anchor="start", fill=MUTED))
            y += box_h + gap
        return _svg(2 * pad + box_w + 12 + shape_w, y - gap + pad, body, self.caption or "layers")

    def tikz(self) -> str:
        """The stack in PGF's basic layer (see TreeFigure.tikz): blocks, arrows, shapes."""
        width = max(len(name) for name, _ in self.layers) * 0.19 + 0.6
        body, y, tops = [], 0.0, []
        for i, (name, shape) in enumerate(self.layers):
            _, (fill, draw) = KIND_COLOURS.get(self._kind(i), PLAIN)
            thin = self._thin(i)
            w, h = (width - 0.8, 0.45) if thin else (width, 0.65)
            font = "\\footnotesize" if thin else "\\small"
            body.append(f"\\grbox{{{-w / 2:.2f}}}{{{y - h / 2:.3f}}}{{{w:.2f}}}{{{h}}}{{{fill}}}{{{draw}}}{{0.4pt}}"
                        f"\\grtext{{0}}{{{y:.3f}}}{{{font} {tex_label(name)}}}")
            if shape:
                body.append(f"\\grtext[left]{{{width / 2 + 0.25:.2f}}}{{{y:.3f}}}{{\\small\\color{{black!70}}{tex_label(shape)}}}")
            if i:
                body.append(f"\\grarrow{{0}}{{{tops[-1]:.3f}}}{{0}}{{{y + h / 2:.3f}}}")
            tops.append(y - h / 2)
            y -= 0.85 if thin or (i + 1 < len(self.layers) and self._thin(i + 1)) else 1.0
        return _tikz(body)


@dataclass
class GridFigure:
    """A grid of numbers (an image or a feature map), optionally with one cell highlighted."""

    values: list[list]
    highlight: tuple[int, int] | None = None
    caption: str = ""

    def _cell(self, r: int, c: int) -> str:
        return str(self.values[r][c])

    def rich(self):
        from rich.table import Table

        table = Table(show_header=False, title=self.caption or None, title_justify="left", show_lines=True)
        for _ in self.values[0]:
            table.add_column(justify="right")
        for r, row in enumerate(self.values):
            table.add_row(*[f"[reverse]{self._cell(r, c)}[/reverse]" if (r, c) == self.highlight
                            else self._cell(r, c) for c in range(len(row))])
        return table

    def text(self) -> str:
        width = max(len(self._cell(r, c)) for r, row in enumerate(self.values) for c in range(len(row)))
        lines = []
        for r, row in enumerate(self.values):
            cells = []
            for c in range(len(row)):
                cell = self._cell(r, c).rjust(width)
                cells.append(f"[{cell}]" if (r, c) == self.highlight else f" {cell} ")
            lines.append("".join(cells))
        if self.caption:
            lines += ["", self.caption]
        return "\n".join(lines)

    def svg(self) -> str:
        size, pad = 13, 6
        chars = max(len(self._cell(r, c)) for r, row in enumerate(self.values) for c in range(len(row)))
        cell = max(34, text_width("0" * chars, size) + 14)
        body = []
        for r, row in enumerate(self.values):
            for c in range(len(row)):
                hl = (r, c) == self.highlight
                body.append(f'<rect x="{pad + c * cell:.1f}" y="{pad + r * cell:.1f}" width="{cell:.1f}" '
                            f'height="{cell:.1f}" fill="{ACCENT_FILL if hl else "#fff"}" '
                            f'stroke="{ACCENT if hl else "#888"}" stroke-width="{2 if hl else 1}"/>')
                body.append(_svg_text(pad + (c + 0.5) * cell, pad + (r + 0.5) * cell, self._cell(r, c),
                                      weight="bold" if hl else "normal"))
        columns = max(len(row) for row in self.values)
        return _svg(2 * pad + columns * cell, 2 * pad + len(self.values) * cell, body, self.caption or "grid")

    def tikz(self) -> str:
        chars = max(len(self._cell(r, c)) for r, row in enumerate(self.values) for c in range(len(row)))
        cell = max(0.7, chars * 0.2 + 0.3)
        body = []
        cells = [(r, c) for r, row in enumerate(self.values) for c in range(len(row))]
        for r, c in sorted(cells, key=lambda rc: rc == self.highlight):  # the highlight on top
            style = "cell, hl" if (r, c) == self.highlight else "cell"
            body.append(f"\\node[{style}] at ({c * cell:.2f}, {-r * cell:.2f}) {{{tex_label(self._cell(r, c))}}};")
        options = (f"cell/.style={{draw=gray, minimum size={cell:.2f}cm, inner sep=0pt, font=\\small}}, "
                   "hl/.style={draw=blue!70!black, fill=blue!12, very thick, font=\\small\\bfseries}")
        return _tikz(body, options)
