"""grader.Exercise in a notebook: it shows itself without any reference answer (repr and HTML),
`.check` grades as `grader check` does and shows as the feedback table. A real notebook is run
through nbclient; it skips loudly when no Jupyter kernel is installed."""
import json
import re
import subprocess
import sys

import pytest

import grader
from grader import registry
from grader.render import problem_view


def secrets_of(problem, seed, **params):
    """What must never be shown before answering: each part's worked solution and its reference."""
    inst = registry.get(problem).instance(seed, params)
    view = problem_view(inst, solution=True)
    texts = [p["solution"] for p in view["parts"] if len(p["solution"]) > 20]
    return inst, texts


def test_import_grader_stays_light():
    code = "import sys, grader; grader.__version__; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split() == ["False", "False"]


def test_exercise_shows_no_reference():
    ex = grader.Exercise("batchnorm-forward", seed=0, batch=[1, 7, 7, 9])
    assert repr(ex) == "Exercise('batchnorm-forward', seed=0, batch=[1, 7, 7, 9])"
    html = ex._repr_html_()
    assert 'data-problem="batchnorm-forward"' in html and "<math" in html
    _, solutions = secrets_of("batchnorm-forward", 0, batch=[1, 7, 7, 9])
    assert solutions and not any(s[:40] in html for s in solutions)
    assert "<mfrac><mrow><mn>5</mn></mrow><mrow><mn>3</mn></mrow></mfrac>" not in html  # output −5/3
    assert ex.parts == ["mean", "variance", "output"]


def test_beam_search_exercise_shows_no_reference():
    ex = grader.Exercise("beam-search", seed=3)
    html = ex._repr_html_()
    inst, solutions = secrets_of("beam-search", 3)
    assert "<svg" in html
    assert not any(s[:40] in html for s in solutions)
    assert inst.answer("complexity") not in html and "log M" not in html


def test_check_grades_as_check_and_shows_a_table(invoke, write_json):
    ex = grader.Exercise("batchnorm-forward", seed=3)
    inst = registry.get("batchnorm-forward").instance(3)
    unbiased = next(m for m in inst.part("variance").misconceptions if m.name == "unbiased-variance")
    answers = {"mean": inst.answer("mean"), "variance": str(float(unbiased.answer(inst.context))), "output": "[1, 2"}
    result = ex.check(**answers)
    path = write_json("a.json", {"problem": "batchnorm-forward", "seed": 3, "answers": answers})
    assert result.json == json.loads(invoke("check", path, "--json").output)
    assert (result.score, result.max_score) == (1, 3)
    assert result["variance"]["misconception"] == "unbiased-variance"
    html = result._repr_html_()
    assert html.count("<tr>") == 4 and "unbiased estimate" in html and ">incorrect<" in html
    text = repr(result)
    assert "variance" in text and "incorrect" in text and "1 / 3" in text


def test_check_escapes_hostile_answers_in_its_html():
    result = grader.Exercise("ridge-regression", seed=3).check(x="<script>alert(1)</script>")
    assert "<script>" not in result._repr_html_()


def test_unknown_problems_and_parts_are_grader_errors():
    from grader.errors import GraderError

    with pytest.raises(GraderError, match="unknown problem"):
        grader.Exercise("nope")
    with pytest.raises(GraderError, match="unknown part"):
        grader.Exercise("beam-search", seed=3).check(nope=1)


def test_new_draws_the_next_seed():
    ex = grader.Exercise("beam-search", seed=3)
    assert ex.new().seed == 4 and grader.Exercise("beam-search").seed >= 0


NOTEBOOK = [
    "import grader\nex = grader.Exercise('batchnorm-forward', seed=0, batch=[1, 7, 7, 9])\nex",
    "print(repr(ex))",
    "result = ex.check(mean='6', variance=8)\nresult",
    "result.score",
]


def test_a_notebook_shows_an_exercise_and_checks_answers(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        pytest.skip("NOTEBOOK TEST SKIPPED: no python3 Jupyter kernel (pip install ipykernel); "
                    "grader.Exercise was not run in a notebook")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in NOTEBOOK])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.outputs for cell in nb.cells]
    assert not any(o.get("output_type") == "error" for cell in outputs for o in cell)
    shown = outputs[0][0]["data"]
    assert 'data-problem="batchnorm-forward"' in shown["text/html"] and "<math" in shown["text/html"]
    table = outputs[2][0]["data"]["text/html"]
    assert ">correct<" in table and "unbiased estimate" not in table and "variance" in table
    assert outputs[3][0]["data"]["text/plain"] == "1"
    everything = json.dumps(outputs, ensure_ascii=False)
    _, solutions = secrets_of("batchnorm-forward", 0, batch=[1, 7, 7, 9])
    assert not any(s[:40] in everything for s in solutions)
    # the output part's reference [−5/3, 1/3, 1/3, 1] (the rules' example "-5/3" aside)
    assert not re.search(r"<mn>5</mn></mrow><mrow><mn>3</mn>|1/3|−5/3", everything)
    assert "Answer:" not in everything
