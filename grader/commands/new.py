"""`grader new`: make a variant of a problem."""
from __future__ import annotations

import json
from pathlib import Path

import click

from grader import registry
from grader.errors import AnswerFileError, GraderError
from grader.render import EXTENSIONS, FORMATS


def parse_assignments(pairs: tuple[str, ...], option: str) -> dict:
    """NAME=VALUE pairs; VALUE is read as JSON when it parses, else kept as a string."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise GraderError(f"{option} expects NAME=VALUE, got {pair!r}")
        try:
            out[name.strip()] = json.loads(value)
        except ValueError:
            out[name.strip()] = value
    return out


def pinned_params(param_pairs: tuple[str, ...], params_file: str | None) -> dict:
    from grader.submission import read_json

    pinned = {}
    if params_file:
        data = read_json(params_file, "parameters file")
        if not isinstance(data, dict):
            raise AnswerFileError("expected a JSON object of parameters", path=params_file)
        pinned.update(data.get("params", data) if isinstance(data.get("params"), dict) else data)
    pinned.update(parse_assignments(param_pairs, "--param"))
    return pinned


def toml_params(instance, pinned: dict) -> dict | None:
    """Parameters for answers.toml that rebuild exactly this variant. TOML has no null: a null
    parameter is left out where the seed and the other parameters make the same variant again
    (the seed alone does when nothing was pinned); None where no TOML form does."""
    params = instance.params
    if all(v is not None for v in params.values()):
        return params
    written = {k: v for k, v in params.items() if v is not None} if pinned else {}
    try:
        same = instance.problem.instance(instance.seed, written).params == params
    except GraderError:
        same = False
    return written if same else None


def answers_toml(instance, params: dict) -> str:
    """The answers.toml skeleton: every part id with an empty literal string to fill in."""
    from grader import tomlwrite
    from grader.render import environment, problem_view

    return environment().get_template("answers.toml.j2").render(
        instance=instance, params=params, parts=problem_view(instance, False)["parts"], toml=tomlwrite)


def write_variant(instance, fmt: str, out: Path, solution: bool, pinned: dict | None = None) -> list[Path]:
    """Write exercise.<fmt>, the answers.json and answers.toml skeletons and key.json into `out`
    (answers.toml only where TOML can hold the parameters)."""
    from grader.render import render, to_json

    out.mkdir(parents=True, exist_ok=True)
    exercise = out / f"exercise.{EXTENSIONS[fmt]}"
    exercise.write_text(render(instance, fmt, solution=solution), encoding="utf-8")
    skeleton = {"problem": instance.problem.id, "seed": instance.seed, "params": instance.params,
                "answers": {pid: None for pid in instance.part_ids}}
    answers = out / "answers.json"
    answers.write_text(json.dumps(skeleton, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written = [exercise, answers]
    params = toml_params(instance, pinned or {})
    if params is not None:
        toml = out / "answers.toml"
        toml.write_text(answers_toml(instance, params), encoding="utf-8")
        written.append(toml)
    key = out / "key.json"
    key.write_text(json.dumps(to_json(instance, solution=True), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return written + [key]


@click.command("new")
@click.argument("problem_id", metavar="ID")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), help="The variant's seed (drawn and told when omitted).")
@click.option("--param", "param_pairs", multiple=True, metavar="NAME=VALUE",
              help="Pin a parameter; VALUE is JSON when it parses (--param batch=[1,7,7,9]).")
@click.option("--params", "params_file", type=click.Path(), metavar="FILE.json",
              help="Pin parameters from a JSON object.")
@click.option("--require", "require_pairs", multiple=True, metavar="NAME=VALUE",
              help="Draw only variants where a part's answer or a parameter has this value "
                   "(--require is_optimal=false).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="terminal", show_default=True)
@click.option("--solution", is_flag=True, help="Add the reference answers and worked solutions.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Write exercise.<fmt>, answers.json and answers.toml (skeletons to fill in) and "
                   "key.json into DIR.")
def new_cmd(problem_id, seed, param_pairs, params_file, require_pairs, fmt, solution, out_dir):
    """Make a variant of problem ID from a seed, with any parameters pinned."""
    from grader.rng import fresh_seed

    problem = registry.get(problem_id)
    pinned = pinned_params(param_pairs, params_file)
    require = parse_assignments(require_pairs, "--require")
    drawn = seed is None
    if drawn:
        seed = fresh_seed()
    instance = problem.instance(seed, pinned, require)
    if drawn:
        click.echo(f"seed: {seed} (make this variant again with --seed {seed})", err=True)
    if out_dir:
        written = write_variant(instance, fmt, Path(out_dir), solution, {**pinned, **require})
        for path in written:
            click.echo(f"wrote {path}")
        if not any(path.name == "answers.toml" for path in written):
            click.echo("answers.toml not written: this variant has a null parameter, which TOML cannot "
                       "hold; fill in answers.json", err=True)
        return
    if fmt == "terminal":
        from rich.console import Console

        from grader.render import problem_view
        from grader.terminal import print_view

        print_view(problem_view(instance, solution), Console(highlight=False, emoji=False), solution=solution)
        return
    from grader.render import render

    click.echo(render(instance, fmt, solution=solution), nl=False)
