"""`grader exam build` and `grader exam grade`."""
from __future__ import annotations

import json
from pathlib import Path

import click

JOBS_HELP = "Worker processes (default: the CPUs available)."


def _console():
    from rich.console import Console

    return Console(highlight=False, emoji=False)


@click.group("exam")
def exam_group():
    """Build and grade exams: one variant per student, seeded from a secret."""


@exam_group.command("build")
@click.argument("exam_file", metavar="EXAM.toml", type=click.Path(dir_okay=False))
@click.option("--roster", "roster_file", required=True, type=click.Path(dir_okay=False), metavar="ROSTER.csv",
              help="The class: a CSV with a header row holding `id` (and optionally `name`, `email`).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Where to write students/ (the bundles) and staff/ (key, manifest, solutions).")
@click.option("--secret-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The secret that seeds the variants (else GRADER_SECRET, else DIR/staff/secret, "
                   "created when missing).")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help=JOBS_HELP)
@click.option("--pdf/--no-pdf", default=None,
              help="Compile exam.pdf and the solutions' PDF (default: when xelatex is installed).")
@click.option("--paper", is_flag=True,
              help="Make exam.pdf a paper exam to print and scan: answer space, name and ID box, a header "
                   "and QR code on every page, the same pages for every student; also print/class.pdf "
                   "and staff/template.pdf.")
@click.option("--id-column", metavar="NAME", default=None,
              help="The roster column holding the student id (default: `id`; `SIS User ID` in a Canvas "
                   "export, `SID` in a Gradescope roster).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (exam id and counts) on stdout.")
def build_cmd(exam_file, roster_file, out_dir, secret_file, jobs, pdf, paper, id_column, as_json):
    """Build one variant per student and problem, with the staff's key and manifest."""
    from grader.exam.build import build_exam
    from grader.exam.parallel import default_jobs
    from grader.exam.spec import load_roster, load_spec, resolve_secret

    spec = load_spec(exam_file)
    students, roster = load_roster(roster_file, id_column)
    out = Path(out_dir)
    secret, note = resolve_secret(secret_file, out / "staff")
    click.echo(note, err=True)
    result = build_exam(spec, exam_file, students, roster, roster_file, secret, out,
                        jobs=jobs or default_jobs(), pdf=pdf, paper=paper)
    if as_json:
        click.echo(json.dumps({"exam": spec.id, "students": result.students, "problems": len(result.problems),
                               "variants": [p["variants"] for p in result.problems], "pdf": result.pdf,
                               "warnings": result.warnings, "out": str(out)}, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title=f"{spec.title}: {result.students} students", title_justify="left")
    for col in ("#", "problem", "points", "distinct variants"):
        table.add_column(col)
    for p in result.problems:
        table.add_row(str(p["index"]), p["problem"], str(p["points"]), f"{p['variants']} / {p['students']}")
    console = _console()
    console.print(table)
    click.echo(f"PDF: {result.pdf}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {out / 'students'} (one folder a student) and {out / 'staff'} (key, manifest, solutions: "
               "keep private)")


@exam_group.command("grade")
@click.argument("exam_dir", metavar="DIR", type=click.Path(file_okay=False))
@click.argument("submissions", metavar="SUBMISSIONS", type=click.Path(file_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), metavar="RESULTS",
              help="Where to write the gradebook, feedback, LMS files and report.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help=JOBS_HELP)
@click.option("--take", type=click.Choice(["latest", "first", "best"]), default="latest", show_default=True,
              help="Which submission counts when a student has several (by `submitted_at`, else the file's "
                   "modification time; `best` by score).")
@click.option("--overrides", "overrides_file", type=click.Path(dir_okay=False), metavar="OVERRIDES.toml",
              help="[[accept]], [[full_credit]], [[drop]] and [[adjust]] tables applied to the grading.")
@click.option("--scores", "scores_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Filled-in manual/<problem>.<part>.csv files to merge (kept for later runs).")
@click.option("--explain", "explain_id", metavar="ID", default=None,
              help="Print one student's grading, part by part, instead of the class summary.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (exam id and counts) on stdout.")
def grade_cmd(exam_dir, submissions, out_dir, jobs, take, overrides_file, scores_dir, explain_id, as_json):
    """Grade every answers file in SUBMISSIONS (any names; the student id is read inside)."""
    from grader.exam.grade import grade_exam
    from grader.exam.parallel import default_jobs
    from grader.exam.report import explain, print_summary

    summary = grade_exam(Path(exam_dir), Path(submissions), Path(out_dir), jobs=jobs or default_jobs(), take=take,
                         overrides=overrides_file, scores=scores_dir)
    if explain_id is not None:
        explain(summary, explain_id, _console())
    elif as_json:
        o = summary.stats["overall"]
        click.echo(json.dumps({"exam": summary.exam, "students": o["students"], "problems": len(summary.columns),
                               "graded": o["graded"], "skipped": o["skipped"], "not_taken": o["not_taken"],
                               "missing": o["missing"], "pending": o["pending"], "changes": len(summary.changes),
                               "reused": summary.reused, "out": str(summary.out)}, ensure_ascii=True))
    else:
        print_summary(summary, _console())
