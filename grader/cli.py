"""The `grader` command. Subcommands live in their own modules and load only when run, so
`grader --help` and `grader list` stay free of NumPy and SymPy."""
from __future__ import annotations

import importlib

import click

from grader import __version__

# name -> (module:attribute, one-line help shown by `grader --help`)
COMMANDS = {
    "list": ("grader.commands.catalog:list_cmd", "List the problems in the catalog."),
    "show": ("grader.commands.catalog:show_cmd", "Show a problem's parameters and parts."),
    "new": ("grader.commands.new:new_cmd", "Make a variant of a problem from a seed."),
    "check": ("grader.commands.check:check_cmd", "Grade an answers file."),
    "compare": ("grader.commands.compare:compare_cmd", "Grade one answer against one reference."),
    "selftest": ("grader.commands.selftest:selftest_cmd", "Run the problem contract over many seeds."),
    "exam": ("grader.commands.exam:exam_group", "Build and grade exams (one variant per student)."),
    "practice": ("grader.commands.practice:practice_cmd", "Practise in the browser, with live preview and feedback."),
    "progress": ("grader.commands.practice:progress_cmd", "Show your practice history."),
    "export": ("grader.commands.export:export_group",
               "Export to Gradescope, Canvas (QTI), Moodle and PrairieLearn."),
}


class UserError(click.ClickException):
    """A GraderError at the CLI edge: one line `Error: ...`, exit status 2."""

    exit_code = 2

    def __init__(self, message: str):
        from grader.text import visible

        super().__init__(visible(" ".join(message.split())))


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx):
        from grader.errors import GraderError

        try:
            return super().invoke(ctx)
        except GraderError as exc:
            raise UserError(str(exc)) from None

    def format_commands(self, ctx, formatter):
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
@click.option(
    "--problems-dir",
    type=click.Path(file_okay=False),
    envvar="GRADER_PROBLEMS",
    help="A course's own folder of problem files (and a templates/ folder beside them). "
    "Also read from GRADER_PROBLEMS.",
)
@click.pass_context
def cli(ctx, problems_dir):
    """Parametric deep-learning exercises: make variants, grade answers, run exams."""
    if problems_dir:
        from grader.registry import add_problem_dir

        add_problem_dir(problems_dir)


def main(argv=None):
    """Entry point of the console script."""
    cli.main(args=argv, prog_name="grader")
