"""`grader selftest`: the problem contract over many seeds."""
from __future__ import annotations

from pathlib import Path

import click

from grader import registry


def targets(items: tuple[str, ...]) -> list[str]:
    """Problem ids named directly or by their file (a course's own `PATH.py`)."""
    if not items:
        return registry.ids()
    out = []
    for item in items:
        if item.endswith(".py") or Path(item).is_file():
            ids = registry.load_file(item)
            if not ids:
                from grader.errors import GraderError

                raise GraderError(f"{item}: registers no problem (decorate a Problem subclass with @register)")
            out += ids
        else:
            registry.get(item)
            out.append(item)
    return out


@click.command("selftest")
@click.argument("items", nargs=-1, metavar="[ID | PATH.py]...")
@click.option("--seeds", default=None, type=click.IntRange(1, 10_000),
              help="How many seeds to check each problem on (default 50; 300 with --stats).")
@click.option("--stats", is_flag=True,
              help="Report variety instead: per part the distinct answers over the seeds and the share of "
                   "the most common; per problem the distinct variants; checked against each problem's thresholds.")
def selftest_cmd(items, seeds, stats):
    """Run the problem contract (determinism, reference scores full marks, perturbed answers do
    not, misconceptions distinguishable, every format renders, hostile parameters refused in one
    line) and report every violation. Exits 1 when any check fails."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    if stats:
        stats_report(console, targets(items), seeds or 300)
        return
    seeds = seeds or 50
    from grader.testing import check_problem

    table = Table(title=f"problem contract, {seeds} seeds each", title_justify="left")
    for col in ("problem", "violations"):
        table.add_column(col)
    failures = []
    for pid in targets(items):
        found = list(check_problem(registry.get(pid), seeds))
        failures += found
        table.add_row(pid, "[green]none[/green]" if not found else f"[red]{len(found)}[/red]")
    console.print(table)
    for v in failures[:200]:
        console.print(f"[red]✗[/red] {escape(str(v))}", markup=True, soft_wrap=True)
    if failures:
        raise SystemExit(1)


def stats_report(console, ids: list[str], seeds: int) -> None:
    """`selftest --stats`: the variety table of every problem; exits 1 when a threshold fails."""
    from rich.markup import escape
    from rich.table import Table

    from grader.testing import variety_stats

    failures = []
    for pid in ids:
        found = variety_stats(registry.get(pid), seeds)
        table = Table(title=f"{pid}: {found.variants} distinct variants in {seeds} seeds",
                      title_justify="left")
        for col in ("part", "kind", "seeds", "distinct", "most common", "share", "limit", ""):
            table.add_column(col, overflow="fold")
        for row in found.parts:
            table.add_row(escape(row.part), row.kind, str(row.seeds), str(row.distinct), escape(row.top),
                          f"{row.share:.0%}", row.limit, "[green]ok[/green]" if row.ok else "[red]✗[/red]")
        console.print(table)
        failures += [f"{pid}: {message}" for message in found.failures]
    for message in failures:
        console.print(f"[red]✗[/red] {escape(message)}", soft_wrap=True)
    if failures:
        raise SystemExit(1)
