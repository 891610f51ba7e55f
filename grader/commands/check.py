"""`grader check`: grade an answers file."""
from __future__ import annotations

import click

from grader.text import json_dumps, one_line

VERDICT_STYLE = {"correct": "green", "partial": "yellow", "incorrect": "red", "invalid": "magenta",
                 "unanswered": "dim", "manual": "cyan"}


def result_tables(result: dict):
    """Rich tables for a result object (one per problem)."""
    from rich.table import Table
    from rich.text import Text

    from grader.text import visible

    problems = result.get("problems", [result])
    for res in problems:
        seed = f" (seed {res['seed']})" if res.get("seed") is not None else ""
        table = Table(title=Text(f"{visible(res['problem'])}{seed}: {res['score']} / {res['max_score']}"),
                      title_justify="left", show_lines=True)
        table.add_column("part")
        table.add_column("verdict")
        table.add_column("points", justify="right")
        table.add_column("feedback", overflow="fold")
        for part in res["parts"]:
            verdict = Text(part["verdict"], style=VERDICT_STYLE.get(part["verdict"], ""))
            if part.get("read_as"):
                verdict.append(f"\nread as {one_line(part['read_as']['text'])}", style="dim")
            table.add_row(Text(visible(part["id"])), verdict, f"{part['score']} / {part['max_score']}",
                          Text(visible(part["feedback"], keep="\n")))
        yield table


def print_result(result: dict, console) -> None:
    from rich.text import Text

    from grader.text import visible

    for table in result_tables(result):
        console.print(table)
    if "problems" in result:
        who = f"{visible(str(result['student']))}: " if result.get("student") else ""
        console.print(Text(f"{who}total {result['score']} / {result['max_score']}", style="bold"))


@click.command("check")
@click.argument("answers_file", metavar="FILE", type=click.Path())
@click.option("--key", "key_file", type=click.Path(), metavar="KEY.json",
              help="Grade against a key (an exam's staff/key.json, or a problem's key.json); "
                   "parameters in the submission are then ignored.")
@click.option("--json", "as_json", is_flag=True, help="Print the result object as JSON.")
def check_cmd(answers_file, key_file, as_json):
    """Grade an answers file: part, verdict, points and feedback. Exits 0 whatever the score."""
    from grader.checking import check
    from grader.submission import read_json, read_submission

    sub = read_submission(answers_file)
    key = read_json(key_file, "key file") if key_file else None
    result = check(sub, answers_file, key, key_file or "")
    if key is not None:  # an exam's points, shown as the exam's outputs show them
        from grader.exam.points import rounded_result

        result = rounded_result(result)
    if as_json:
        click.echo(json_dumps(result, indent=2))
        return
    from rich.console import Console

    print_result(result, Console(highlight=False, emoji=False))
