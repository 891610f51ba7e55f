"""The exercise in the terminal, laid out with rich: math as Unicode, figures drawn."""
from __future__ import annotations

from io import StringIO


def renderables(view: dict, solution: bool):
    """The rich renderables of one problem view, top to bottom."""
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.text import Text

    from grader.markup import prose
    from grader.markup import terminal_markdown as md
    seed = f" · seed {view['seed']}" if view.get("seed") is not None else ""
    yield Rule(Text(f"{view['title']}{seed}", style="bold"), style="cyan")
    yield md(view["statement"])
    for figure in view["figures"]:
        yield Padding(figure.rich(), (1, 0, 0, 2))
    for part in view["parts"]:
        pts = part["points"]
        head = Text(f"\n({part['label']}) ", style="bold")
        head.append(f"[{part['id']}, {pts} point{'s' if pts != 1 else ''}]", style="dim")
        yield head
        yield Padding(md(part["prompt"]), (0, 0, 0, 4))
        if part["rule"]:
            yield Padding(Text(prose(part["rule"]), style="dim italic"), (0, 0, 0, 4))
        if solution:
            body = md(part["solution"]) if part["solution"] else Text("")
            from rich.console import Group

            answer = Text("Answer: ", style="bold green")
            answer.append(part["answer_text"], style="green")
            yield Padding(Panel(Group(body, answer), title="Solution", title_align="left",
                                border_style="green"), (0, 0, 0, 4))


def print_view(view: dict, console, *, solution: bool) -> None:
    for item in renderables(view, solution):
        console.print(item)


def plain_console(width: int | None = None):
    """A console writing plain text (no ANSI styles) into a buffer: `console.file.getvalue()`."""
    from rich.console import Console

    return Console(file=StringIO(), width=width or 100, force_terminal=False, color_system=None,
                   highlight=False, emoji=False)


def render_terminal(view: dict, *, solution: bool, width: int | None = None) -> str:
    """The problem view as plain terminal text."""
    console = plain_console(width)
    print_view(view, console, solution=solution)
    return console.file.getvalue()
