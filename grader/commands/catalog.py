"""`grader list` and `grader show`."""
from __future__ import annotations

import json

import click

from grader import registry
from grader.params import NO_DEFAULT


def _console():
    """A console for tables: in a pipe or a file, lines as long as the table needs (no wrapping at
    80 columns, no id split across lines)."""
    import sys

    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 10_000)


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as a JSON list.")
def list_cmd(as_json):
    """List the problems: id, title, topic and part ids."""
    problems = [registry.get(pid) for pid in registry.ids()]
    rows = [{"id": p.id, "title": p.title, "topic": p.topic, "parts": list(p.part_ids)} for p in problems]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title="grader catalog", title_justify="left", show_lines=False)
    table.add_column("id", no_wrap=True, style="bold")
    for col in ("title", "topic", "parts"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["title"], row["topic"], " ".join(row["parts"]))
    _console().print(table)


def describe(problem) -> dict:
    """Parameters and parts of a problem, as `grader show --json` prints them."""
    params = []
    for q in problem.params:
        item = {"name": q.name, "type": q.kind, "meaning": q.meaning}
        if q.default is not NO_DEFAULT:
            item["default"] = q.default
        if q.range:
            item["range"] = q.range
        params.append(item)
    parts = [{"id": part.id, "type": part.type.name, "points": part.points, "rule": part.type.rule()}
             for part in problem.example_parts()]
    return {"id": problem.id, "title": problem.title, "topic": problem.topic, "source": problem.source,
            "paper": problem.paper, "params": params, "parts": parts, "example": problem.example}


@click.command("show")
@click.argument("problem_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
def show_cmd(problem_id, as_json):
    """Show a problem's parameters (name, type, default or range, meaning) and parts."""
    info = describe(registry.get(problem_id))
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{info['id']}[/bold]: {info['title']}  [dim]({info['topic']}; {info['source']})[/dim]")
    console.print("On paper: " + (info["paper"] or "needs a calculator"), markup=False)
    params = Table(title="Parameters", title_justify="left")
    for col in ("name", "type", "default / range", "meaning"):
        params.add_column(col, overflow="fold")
    for q in info["params"]:
        default = json.dumps(q["default"]) if "default" in q else f"drawn: {q.get('range') or 'from the seed'}"
        params.add_row(q["name"], q["type"], default, q["meaning"])
    console.print(params)
    parts = Table(title="Parts (of the example variant)", title_justify="left")
    for col in ("id", "answer type", "points"):
        parts.add_column(col)
    for part in info["parts"]:
        parts.add_row(part["id"], part["type"], str(part["points"]))
    console.print(parts)
