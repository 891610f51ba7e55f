"""`grader practice` (the practice app in the browser) and `grader progress` (its history)."""
from __future__ import annotations

import json

import click


def open_browser(url: str) -> None:
    import webbrowser

    webbrowser.open(url)


@click.command("practice")
@click.argument("problem_ids", metavar="[ID]...", nargs=-1)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default="a free port",
              help="The port to listen on (127.0.0.1 only).")
@click.option("--no-browser", is_flag=True, help="Print the address without opening a browser.")
def practice_cmd(problem_ids, port, no_browser):
    """Practise in the browser: the problems ID... (default: the whole catalog) with a live
    preview of each answer, feedback per part, solutions and new variants. Attempts are kept
    (see `grader progress`). Stop it with Ctrl-C."""
    from grader import registry
    from grader.progress import Progress
    from grader.web.app import create_app
    from grader.web.server import PracticeServer, new_token

    ids = list(dict.fromkeys(registry.get(pid).id for pid in problem_ids))
    store = Progress()
    store.check()
    token = new_token()
    server = PracticeServer(create_app(token, ids, store), token, port)
    url = server.url + (f"p/{ids[0]}" if len(ids) == 1 else "")
    click.echo(f"Practice at {url}")
    click.echo(f"Attempts are kept in {store.path}. Stop with Ctrl-C.", err=True)
    if not no_browser:
        open_browser(url)
    server.serve()


@click.command("progress")
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
def progress_cmd(as_json):
    """Your practice history: per problem, the variants tried, attempts, best and last score and
    the mistakes the grader recognised."""
    from grader.progress import Progress, summary_json

    store = Progress()
    rows = store.summary()
    if as_json:
        click.echo(json.dumps(summary_json(rows), indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No practice yet: start with `grader practice`.")
        return
    from rich.console import Console
    from rich.table import Table

    from grader.text import one_line

    table = Table(title=f"Practice history ({store.path})", title_justify="left")
    for name, justify in (("problem", "left"), ("variants", "right"), ("attempts", "right"),
                          ("best", "right"), ("last", "right"), ("misconceptions hit", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for row in rows:
        hits = ", ".join(f"{one_line(name)} ×{n}" for name, n in row["misconceptions"].items()) or "–"
        table.add_row(one_line(row["problem"]), str(row["variants"]), str(row["attempts"]),
                      f"{row['best_score']:.0%}", f"{row['last_score']:.0%}", hits)
    Console(highlight=False, emoji=False, soft_wrap=False).print(table)
