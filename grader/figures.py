"""Figures drawn from an instance's data, in every format: rich renderables for the terminal,
plain text for markdown, and (see the documents issue) SVG and TikZ."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TreeFigure:
    """A rooted tree with labelled nodes and edges (the beam-search tree of log-probabilities)."""

    label: str
    children: list["TreeFigure"] = field(default_factory=list)
    edge: str = ""
    highlight: bool = False
    caption: str = ""

    def _line(self) -> str:
        return f"{self.label} ({self.edge})" if self.edge else self.label

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


@dataclass
class LayerStackFigure:
    """A network as a stack of layers, each with its output shape (the CNN layer stack)."""

    layers: list[tuple[str, str]]
    caption: str = ""

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
