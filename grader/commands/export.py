"""`grader export gradescope|qti|moodle|prairielearn`: exercises and exams where courses live."""
from __future__ import annotations

from pathlib import Path

import click

from grader.commands.new import parse_assignments, pinned_params
from grader.exports import MAX_VARIANTS
from grader.exports.gradescope import VISIBILITIES
from grader.exports.qti import GROUPINGS

VARIANTS_HELP = "Pre-drawn variants per problem (seeds counted up from --seed; repeated variants passed over)."


def _variant_options(command):
    """The options the pool exports share with `grader new`."""
    for option in reversed([
        click.argument("problem_ids", metavar="ID...", nargs=-1, required=True),
        click.option("--variants", type=click.IntRange(1, MAX_VARIANTS), default=10, show_default=True, help=VARIANTS_HELP),
        click.option("--seed", "first_seed", type=click.IntRange(0, 2**31 - 1), default=1, show_default=True,
                     help="The first seed drawn."),
        click.option("--param", "param_pairs", multiple=True, metavar="NAME=VALUE",
                     help="Pin a parameter of every problem (as in `grader new`)."),
        click.option("--params", "params_file", type=click.Path(), metavar="FILE.json",
                     help="Pin parameters from a JSON object (as in `grader new`)."),
        click.option("--require", "require_pairs", multiple=True, metavar="NAME=VALUE",
                     help="Draw only variants where a part's answer or a parameter has this value."),
    ]):
        command = option(command)
    return command


def _pools(problem_ids, variants, first_seed, param_pairs, params_file, require_pairs):
    from grader.exports import draw_variants

    pinned = pinned_params(param_pairs, params_file)
    require = parse_assignments(require_pairs, "--require")
    return [(pid, draw_variants(pid, variants, pinned, require, first_seed)) for pid in dict.fromkeys(problem_ids)]


def _report(pools, variants: int, out) -> None:
    for pid, instances in pools:
        click.echo(f"{pid}: {len(instances)} variant(s) (seeds {', '.join(str(i.seed) for i in instances)})")
        if len(instances) < variants:
            click.echo(f"warning: {pid} has only {len(instances)} distinct variant(s) with these parameters, "
                       f"not {variants}", err=True)
    click.echo(f"wrote {out}")


@click.group("export")
def export_group():
    """Export exams and exercises to Gradescope, Canvas (QTI), Moodle and PrairieLearn."""


@export_group.command("gradescope")
@click.argument("exam_dir", metavar="EXAM_DIR", type=click.Path(file_okay=False))
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False), metavar="autograder.zip",
              help="Where to write the autograder zip.")
@click.option("--wheel", "wheel_file", type=click.Path(dir_okay=False), metavar="FILE.whl",
              help="Ship this wheel of grader instead of building one from the source checkout.")
@click.option("--visibility", type=click.Choice(VISIBILITIES),
              default="visible", show_default=True, help="When students see their results.")
def gradescope_cmd(exam_dir, out_file, wheel_file, visibility):
    """A Gradescope autograder for an exam built by `grader exam build`: setup.sh, run_autograder,
    the key and this package's wheel."""
    from grader.exports.gradescope import build_autograder

    info = build_autograder(Path(exam_dir), Path(out_file), Path(wheel_file) if wheel_file else None, visibility)
    click.echo(f"{info['exam']}: {info['students']} students, {info['wheel']}")
    click.echo(f"wrote {info['out']} (upload it as the assignment's autograder; it holds the key: keep it private)")


@export_group.command("qti")
@_variant_options
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False), metavar="quiz.zip",
              help="Where to write the QTI package.")
@click.option("--title", default="", help="The quiz's title (default: the problem ids).")
@click.option("--groups", "groups_by", type=click.Choice(GROUPINGS), default="problem", show_default=True,
              help="A question group per problem (each item a whole variant) or per part (exact part "
                   "points, but a student's parts may come from different variants).")
def qti_cmd(problem_ids, variants, first_seed, param_pairs, params_file, require_pairs, out_file, title, groups_by):
    """A Canvas Classic Quizzes QTI 1.2 package: per problem, a question group drawing one of the
    pre-drawn variants."""
    from grader.exports.qti import write_qti

    pools = _pools(problem_ids, variants, first_seed, param_pairs, params_file, require_pairs)
    uneven = write_qti(pools, Path(out_file), title or ", ".join(pid for pid, _ in pools), groups_by)
    _report(pools, variants, out_file)
    if uneven:
        click.echo(f"warning: Canvas gives each blank of a question an equal share, so the parts of {', '.join(uneven)} "
                   "weigh otherwise than their points (--groups part keeps them exact)", err=True)


@export_group.command("moodle")
@_variant_options
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False), metavar="bank.xml",
              help="Where to write the Moodle XML question bank.")
def moodle_cmd(problem_ids, variants, first_seed, param_pairs, params_file, require_pairs, out_file):
    """A Moodle XML question bank: a category per problem, one cloze question per variant."""
    from grader.exports.moodle import write_moodle

    pools = _pools(problem_ids, variants, first_seed, param_pairs, params_file, require_pairs)
    write_moodle(pools, Path(out_file))
    _report(pools, variants, out_file)


@export_group.command("prairielearn")
@click.argument("problem_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), metavar="questions/",
              help="The course's questions/ folder (one folder a problem is written into it).")
@click.option("--param", "param_pairs", multiple=True, metavar="NAME=VALUE",
              help="Pin a parameter of every problem (as in `grader new`).")
@click.option("--params", "params_file", type=click.Path(), metavar="FILE.json",
              help="Pin parameters from a JSON object (as in `grader new`).")
@click.option("--require", "require_pairs", multiple=True, metavar="NAME=VALUE",
              help="Draw only variants where a part's answer or a parameter has this value.")
def prairielearn_cmd(problem_ids, out_dir, param_pairs, params_file, require_pairs):
    """PrairieLearn questions: info.json, question.html and a server.py whose generate and grade
    call this package."""
    from grader.exports.prairielearn import write_question

    pinned = pinned_params(param_pairs, params_file)
    require = parse_assignments(require_pairs, "--require")
    for pid in dict.fromkeys(problem_ids):
        folder = write_question(pid, Path(out_dir), pinned, require)
        click.echo(f"wrote {folder}")
