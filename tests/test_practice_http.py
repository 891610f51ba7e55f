"""The practice app over HTTP (Starlette's TestClient): the token, the body limit, the hooks of
SPEC §11, previews, and grading that is exactly `grader check`'s, hostile answers included."""
import json
import re
import warnings

import pytest

from grader import registry
from grader.progress import Progress
from grader.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

TOKEN = "t0ken-for-tests"


@pytest.fixture
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield TestClient(create_app(TOKEN), follow_redirects=False)


def api(client, path, **body):
    return client.post(f"/{TOKEN}/api/{path}", content=json.dumps(body),  # escapes lone surrogates
                       headers={"content-type": "application/json"})


@pytest.mark.parametrize("path", ["/", "/p/batchnorm-forward?seed=3", "/static/practice.js"])
def test_a_wrong_or_missing_token_is_403(client, path):
    assert client.get(path).status_code == 403
    assert client.get("/not-the-token" + path).status_code == 403
    assert client.get(f"/{TOKEN}x" + path).status_code == 403
    assert client.get(f"/{TOKEN}" + path).status_code in (200, 303)


def test_a_wrong_token_cannot_grade(client):
    response = client.post("/wrong/api/check", json={"problem": "batchnorm-forward", "seed": 3, "answers": {}})
    assert response.status_code == 403
    assert Progress().summary() == []


def test_request_bodies_are_size_limited(client):
    big = {"problem": "batchnorm-forward", "seed": 3, "answers": {"mean": "1" * 70_000}}
    assert api(client, "check", **big).status_code == 413

    def chunks():  # no Content-Length: the limit holds while the body streams
        for _ in range(40):
            yield b"x" * 4096

    response = client.post(f"/{TOKEN}/api/check", content=chunks())
    assert response.status_code == 413
    assert Progress().summary() == []


def test_start_page_lists_the_catalog_by_topic(client):
    page = client.get(f"/{TOKEN}/").text
    for pid in registry.ids():
        assert f'href="/{TOKEN}/p/{pid}"' in page
    assert "Practise next" not in page


def test_an_exercise_without_a_seed_gets_one_in_the_url(client):
    response = client.get(f"/{TOKEN}/p/beam-search")
    assert response.status_code == 303
    assert re.fullmatch(rf"/{TOKEN}/p/beam-search\?seed=\d+", response.headers["location"])
    assert client.get(f"/{TOKEN}/p/no-such-problem").status_code == 404
    assert client.get(f"/{TOKEN}/p/beam-search?seed=-1").status_code == 400
    assert client.get(f"/{TOKEN}/p/beam-search?seed=abc").status_code == 400


def test_the_exercise_page_has_the_hooks_and_the_document(client):
    response = client.get(f"/{TOKEN}/p/beam-search?seed=3")
    page = response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert re.search(r'<html lang="en" data-seed="3"', page)
    inst = registry.get("beam-search").instance(3, {})
    for part in inst.parts:
        assert re.search(rf'<(input|textarea)[^>]*name="{part.id}"[^>]*aria-label="[^"]+"', page), part.id
        assert f'data-verdict-for="{part.id}"' in page and f'data-feedback-for="{part.id}"' in page
        if part.type.name not in ("boolean", "choice", "text"):
            assert f'data-preview-for="{part.id}"' in page
    assert 'type="radio" name="is_optimal" value="true"' in page
    assert '<button type="submit">' in page
    assert "<svg" in page and "<math" in page  # the document's figure and MathML
    assert "https://" not in page and "http://" not in page.replace("http://www.w3.org", "")
    for pid in inst.part_ids:  # no reference in the page
        answer = inst.answer(pid)
        if isinstance(answer, str) and " " in answer:
            assert f'value="{answer}"' not in page


def test_the_page_is_the_document_of_grader_new(client):
    from grader.render import render

    document = render(registry.get("ridge-regression").instance(5, {}), "html")
    page = client.get(f"/{TOKEN}/p/ridge-regression?seed=5").text
    statement = re.search(r'<div class="statement">.*?</div>', document, re.S).group()
    assert statement in page


def test_preview_reads_latex_as_math(client):
    data = api(client, "preview", problem="batchnorm-forward", seed=3, part="mean", answer=r"\frac{-5}{3}").json()
    assert data["read_as"] == {"text": "−5/3", "latex": r"-\frac{5}{3}"}
    assert data["mathml"].startswith("<math") and "<mfrac>" in data["mathml"]


def test_preview_shows_the_error_with_its_caret(client):
    data = api(client, "preview", problem="beam-search", seed=3, part="complexity", answer="O(T k M log M))").json()
    assert "read_as" not in data
    assert data["error"] and data["caret"].endswith("^")


def test_preview_of_a_hostile_answer_stays_in_its_budget(client):
    for answer in ("exp(exp(9^99))", "(" * 5000, "9" * 3000, "x\u202e\x1b[31m"):
        response = api(client, "preview", problem="mlp-backprop", seed=1, part="dL_dd", answer=answer)
        assert response.status_code == 200
        assert "error" in response.json() or "read_as" in response.json()


def test_api_errors_are_400(client):
    assert api(client, "preview", problem="batchnorm-forward", seed=3, part="nope", answer="1").status_code == 400
    assert api(client, "preview", problem="nope", seed=3, part="mean", answer="1").status_code == 400
    assert api(client, "check", problem="batchnorm-forward", seed="3", answers={}).status_code == 400
    assert api(client, "check", problem="batchnorm-forward", seed=3, answers=[]).status_code == 400
    bad = api(client, "check", problem="batchnorm-forward", seed=3, answers={"nope": 1})
    assert bad.status_code == 400 and "unknown part" in bad.json()["error"]
    assert client.post(f"/{TOKEN}/api/check", content=b"{not json").status_code == 400


def check_cli(invoke, write_json, answers, problem="batchnorm-forward", seed=3):
    path = write_json("answers.json", {"problem": problem, "seed": seed, "answers": answers})
    return json.loads(invoke("check", path, "--json").output)


@pytest.mark.parametrize("problem, answers", [
    ("batchnorm-forward", {"mean": "9", "variance": "10.8", "output": "[1, 2"}),
    ("batchnorm-forward", {"mean": "1e9999", "variance": "\x00\x1b[2J", "output": None}),
    ("ridge-regression", {"closed_form": "A^T (A A^T + lambda I)^(-1) b", "x": "[1, 2, 3]",
                          "interpret": "\x1b[2J\u202etext\x00"}),
    ("mlp-backprop", {"dL_dd": "(" * 3000, "dsigma": "s*(1-s)", "dL_dC_i": "x" * 2500,
                      "dL_db_i": "exp(exp(9^99))"}),
])
def test_submit_grades_exactly_as_check(client, invoke, write_json, problem, answers):
    result = api(client, "check", problem=problem, seed=3, answers=answers).json()
    assert result.pop("attempts") == 1
    assert result == check_cli(invoke, write_json, answers, problem)


def _unbiased_slip(seed: int = 3) -> dict:
    """batchnorm-forward at `seed`: the right mean and the unbiased variance (a named mistake)."""
    inst = registry.get("batchnorm-forward").instance(seed)
    unbiased = next(m for m in inst.part("variance").misconceptions if m.name == "unbiased-variance")
    return {"mean": inst.answer("mean"), "variance": str(float(unbiased.answer(inst.context))), "output": None}


def test_submit_records_the_attempt_and_the_page_shows_it_again(client):
    answers = _unbiased_slip()
    result = api(client, "check", problem="batchnorm-forward", seed=3, answers=answers).json()
    assert [p["verdict"] for p in result["parts"]] == ["correct", "incorrect", "unanswered"]
    assert result["parts"][1]["misconception"] == "unbiased-variance"
    page = client.get(f"/{TOKEN}/p/batchnorm-forward?seed=3").text
    assert f'value="{answers["variance"]}"' in page
    assert re.search(r'data-verdict-for="variance" data-verdict="incorrect">incorrect<', page)
    assert "unbiased estimate" in page
    assert "Attempts: <span data-attempts>1</span>" in page
    again = api(client, "check", problem="batchnorm-forward", seed=3, answers=answers).json()
    assert again["attempts"] == 2
    start = client.get(f"/{TOKEN}/").text
    nxt = start.split("Practise next", 1)[1].split("</section>", 1)[0]
    assert "batchnorm-forward" in nxt and "unbiased-variance" in nxt
    assert client.get(f"/{TOKEN}/p/batchnorm-forward").headers["location"].endswith("?seed=3")


def test_hostile_text_is_escaped_when_shown_again(client):
    api(client, "check", problem="ridge-regression", seed=3,
        answers={"interpret": '</textarea><script>alert(1)</script>', "x": '"><img src=x onerror=alert(1)>'})
    page = client.get(f"/{TOKEN}/p/ridge-regression?seed=3").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;/textarea&gt;&lt;script&gt;" in page


def test_a_lone_surrogate_is_graded_kept_and_shown_again(client):
    size = len(registry.get("batchnorm-forward").instance(3).params["batch"])
    answers = {"mean": "\ud800", "variance": "9\udfff", "output": ["\ud800"] * size}
    result = api(client, "check", problem="batchnorm-forward", seed=3, answers=answers)
    assert result.status_code == 200
    assert [p["verdict"] for p in result.json()["parts"]] == ["invalid"] * 3
    page = client.get(f"/{TOKEN}/p/batchnorm-forward?seed=3")
    assert page.status_code == 200 and 'value="\ufffd"' in page.text


def test_an_attempt_that_cannot_be_saved_is_still_graded(client, data_dir):
    data_dir.mkdir(exist_ok=True)
    (data_dir / "progress.sqlite3").write_bytes(b"\x00not a database" * 64)
    result = api(client, "check", problem="batchnorm-forward", seed=3, answers={"mean": registry.get("batchnorm-forward").instance(3).answer("mean")}).json()
    assert result["parts"][0]["verdict"] == "correct"
    assert "not saved" in result["warning"]


def test_solution_has_every_part(client):
    inst = registry.get("beam-search").instance(3, {})
    parts = api(client, "solution", problem="beam-search", seed=3).json()["parts"]
    assert list(parts) == inst.part_ids
    assert all("Solution" in html and "Answer:" in html for html in parts.values())


def test_static_assets_are_bundled(client):
    js = client.get(f"/{TOKEN}/static/practice.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert client.get(f"/{TOKEN}/static/practice.css").status_code == 200
    assert client.get(f"/{TOKEN}/static/../app.py").status_code == 404
