"""`grader exam build` and `grader exam grade`."""
from __future__ import annotations

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
def build_cmd(exam_file, roster_file, out_dir, secret_file, jobs, pdf, paper):
    """Build one variant per student and problem, with the staff's key and manifest."""
    from grader.exam.build import build_exam
    from grader.exam.parallel import default_jobs
    from grader.exam.spec import load_roster, load_spec, resolve_secret

    spec = load_spec(exam_file)
    students, roster = load_roster(roster_file)
    out = Path(out_dir)
    secret, note = resolve_secret(secret_file, out / "staff")
    click.echo(note, err=True)
    result = build_exam(spec, exam_file, students, roster, roster_file, secret, out,
                        jobs=jobs or default_jobs(), pdf=pdf, paper=paper)
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
def grade_cmd(exam_dir, submissions, out_dir, jobs):
    """Grade every answers file in SUBMISSIONS (any names; the student id is read inside)."""
    from grader.exam.grade import grade_exam
    from grader.exam.parallel import default_jobs
    from grader.exam.report import print_summary

    summary = grade_exam(Path(exam_dir), Path(submissions), Path(out_dir), jobs=jobs or default_jobs())
    print_summary(summary, _console())
