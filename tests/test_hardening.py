"""Issue 9 reproductions: budgets for every answer type, files, text hygiene at the edges."""
import json
import os
import time

import pytest

from grader.answers import make
from grader.answers.lists import Vector
from grader.answers.numbers import Number, plain_number
from grader.answers.sandbox import grade as sandboxed_grade
from test_cli import one_line_error

OUT_OF_RANGE = ["1e9999", "9^999*9^999*9^999", "exp(9^999)", "exp(exp(9^99))", "exp(-exp(9^99))", "-1e400",
                2 ** 1100, "cosh(1000) - sinh(1000)", "sin(9^999)"]


# -- one budget for every answer type ---------------------------------------------------------
@pytest.mark.parametrize("raw", OUT_OF_RANGE, ids=str)
def test_out_of_range_numbers_are_invalid_with_the_reason(raw):
    out = sandboxed_grade(Number(), raw, "1")
    assert out.verdict == "invalid" and "out of range" in out.feedback


@pytest.mark.parametrize("raw, what", [("exp(exp(9^99))", "exp(9⁹⁹)"), ("x*exp(9^999)", "9⁹⁹⁹"),
                                       ("1e400*x", "a number of about 1e400"), ("2^1000*2^100 + x", "2^1000·2¹⁰⁰")])
def test_an_expression_out_of_range_is_invalid_naming_it_at_its_caret(raw, what):
    out = sandboxed_grade(make("expression", variables=("x",)), raw, "x")
    message, echo, caret = out.feedback.splitlines()
    assert out.verdict == "invalid" and message.startswith(f"{what} is out of range") and echo == raw
    assert caret.strip() == "^"


def test_a_pole_is_infinite_not_out_of_range():
    out = sandboxed_grade(Number(), "log(0)", "1")
    assert out.verdict == "invalid" and "infinite" in out.feedback and "out of range" not in out.feedback


@pytest.mark.parametrize("raw", ["1e9999", "9^999*9^999*9^999", "exp(exp(9^99))"])
def test_compare_says_out_of_range(invoke, raw):
    result = invoke("compare", "number", "1", raw, "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["verdict"] == "invalid" and "out of range" in out["feedback"]


def test_check_grades_out_of_range_as_invalid_not_manual(invoke, write_json):
    path = write_json("a.json", {"problem": "batchnorm-forward", "seed": 1,
                                 "answers": {"mean": "1e9999", "variance": "9^999*9^999*9^999"}})
    parts = {p["id"]: p for p in json.loads(invoke("check", path, "--json").stdout)["parts"]}
    assert parts["mean"]["verdict"] == parts["variance"]["verdict"] == "invalid"


def test_plain_numbers_stay_out_of_the_sandbox_and_the_rest_go_in():
    number, vector = Number(), Vector()
    for raw in (1, 1.5, "-5/3", "1e-3", "\u22125/3", "209,658", "", None):
        assert not number.budgeted(raw), raw
    for raw in ("sqrt(2)", "exp(exp(9^99))", "1+1", "x" * 5000):
        assert number.budgeted(raw), raw
    assert not vector.budgeted([1, "2", "-5/3"]) and not vector.budgeted("[1, 2; 3, 4]")
    assert vector.budgeted(["1", "exp(9^999)"]) and vector.budgeted("[1, sqrt(2)]")
    assert make("shapes").budgeted([[1, "2^99"]]) and not make("shapes").budgeted([[1, 2], 3])


class SlowNumber(Number):
    """A number type whose closed forms take forever to read."""

    def parse(self, raw):
        if not plain_number(raw):
            time.sleep(30)
        return super().parse(raw)


def test_a_closed_form_past_its_time_budget_is_manual_and_a_plain_number_is_not_sandboxed():
    out = sandboxed_grade(SlowNumber(), "sqrt(2)", "1", seconds=0.5)
    assert out.verdict == "manual" and "longer than 0.5 s" in out.feedback
    assert sandboxed_grade(SlowNumber(), "1.00", "1", seconds=0.5).verdict == "correct"


def test_grading_sends_closed_form_numbers_to_the_sandbox():
    from grader.grading import run

    assert run(SlowNumber(), "sqrt(2)", "1").verdict == "manual"


def test_shape_is_checked_before_any_entry_is_read(monkeypatch):
    def refuse(self, raw):
        raise AssertionError("an entry was parsed")

    monkeypatch.setattr(Number, "parse", refuse)
    out = Vector().grade(["exp(9^999)"] * 3, [1, 2])
    assert out.verdict == "incorrect" and "Expected a vector of 2 entries, got a vector of 3" in out.feedback
    out = make("shapes").grade([["2^999"]], [[1], [2]])
    assert out.verdict == "incorrect" and "Expected 2 shapes" in out.feedback


def test_deeply_nested_lists_are_invalid():
    deep = 1
    for _ in range(200):
        deep = [deep]
    for name in ("vector", "matrix", "shapes"):
        assert make(name).grade(deep, [[1]] if name != "vector" else [1]).verdict in ("invalid", "incorrect")


# -- numbers and vectors as the tool prints them ----------------------------------------------
@pytest.mark.parametrize("type_name, ref, raw", [
    ("vector", [-10, 34], "[-10; 34]"),
    ("vector", [-10, 34], [[-10], [34]]),
    ("matrix", [[1, 2], [3, 4]], "[1, 2; 3, 4]"),
    ("number", 209658, "209,658"),
    ("number", -1209658, "-1,209,658"),
    ("shapes", [[8, 4, 4], [128], [10]], [[8, 4, 4], 128, "10"]),
    ("shapes", [[8, 4, 4], [128], [10]], "[[8, 4, 4], 128, 10]"),
])
def test_printed_notations_are_read(type_name, ref, raw):
    assert make(type_name).grade(raw, ref).verdict == "correct"


@pytest.mark.parametrize("raw", ["0,5", "1,5", "12,34", "1,2345"])
def test_decimal_commas_are_not_read_as_thousands(raw):
    assert Number().grade(raw, 5).verdict == "invalid"


@pytest.mark.parametrize("rule, ref, raw, says", [
    ({}, 5, "-5", "Check the sign"),
    ({}, 5, "500", "factor of 10^2: the answer is 10^2 times"),
    ({}, "-5/3", "-0.1667", "factor of 10: the answer is 1/10 of"),
    ({}, 4, "0.25", "reciprocal"),
    ({"exact": True}, 12, "13", "Not the expected value"),
    ({"exact": True}, 12, "-12", "Check the sign"),
    ({"exact": True}, "1/3", "0.333", "An exact value is expected"),
    ({}, 7, "3", "Not the expected value"),
])
def test_a_wrong_number_says_how_it_relates_to_the_reference(rule, ref, raw, says):
    out = Number(**rule).grade(raw, ref)
    assert out.verdict == "incorrect" and says in out.feedback, out.feedback


def test_no_relation_is_claimed_where_zero_would_pass():
    out = Number(atol=0.1).grade("0.5", 0)
    assert out.verdict == "incorrect" and "factor" not in out.feedback


# -- files ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["check"], ["compare", "--batch"]])
def test_special_files_are_one_line_errors(invoke, tmp_path, command):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for path in ("/dev/zero", fifo, tmp_path):
        one_line_error(invoke(*command, path), str(path))
    one_line_error(invoke(*command, "/dev/zero"), "not a regular file")


def test_a_file_past_the_limit_is_a_one_line_error(invoke, tmp_path, monkeypatch):
    import grader.submission as submission

    monkeypatch.setattr(submission, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"problem": "batchnorm-forward", "seed": 1, "answers": {"mean": "1" * 2000}}))
    one_line_error(invoke("check", big), "larger than the limit of 1000 bytes")


def test_answers_toml_is_read_by_its_extension(invoke, tmp_path):
    toml = tmp_path / "answers.toml"
    toml.write_text('problem = "batchnorm-forward"\nseed = 0\n[params]\nbatch = [1, 7, 7, 9]\n'
                    '[answers]\nmean = 6\nvariance = "9"\noutput = ["-5/3", "1/3", "1/3", 1]\n', encoding="utf-8")
    out = json.loads(invoke("check", toml, "--json").stdout)
    assert out["score"] == out["max_score"] == 3
    toml.write_text('problem = "batchnorm-forward"\n[answers\n', encoding="utf-8")
    one_line_error(invoke("check", toml), "not valid TOML", "line 2")


def test_toml_latex_needs_no_doubled_backslash(invoke, tmp_path):
    toml = tmp_path / "answers.toml"
    toml.write_text("problem = \"batchnorm-backward\"\nseed = 3\n[answers]\n"
                    "formula = '\\gamma\\left(g_i - \\frac{G}{m}\\right)'\nwhen = 1979-05-27\n", encoding="utf-8")
    result = invoke("check", toml, "--json")
    assert result.exit_code in (0, 2) and "Traceback" not in result.output


@pytest.mark.parametrize("text, word", [
    ('{"problem": "batchnorm-backward", "seed": 3, "answers": {"formula": "\\gamma(g_i - G/m)"}}', "\\gamma"),
    ('{"problem": "batchnorm-backward", "seed": 3, "answers": {"formula": "\\beta + \\frac{1}{2}"}}', "\\beta"),
    ('{"problem": "batchnorm-backward", "seed": 3, "answers": {"formula": "\\theta"}}', "\\theta"),
])
def test_a_latex_backslash_in_json_gets_the_advice(invoke, tmp_path, text, word):
    path = tmp_path / "answers.json"
    path.write_text(text, encoding="utf-8")
    one_line_error(invoke("check", path), word, "double the backslash", "answers.toml", "line 1")


def test_doubled_backslashes_and_newlines_in_text_are_fine(invoke, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"problem": "batchnorm-backward", "seed": 3, "answers": {"formula": "\\\\gamma (g_i - G/m)"},'
                    ' "note": "first\\nupdate \\\\\\\\beta"}', encoding="utf-8")
    assert invoke("check", path, "--json").exit_code == 0


# -- text hygiene -----------------------------------------------------------------------------
ESC = "\u001b]0;TITLE\u0007\u001b[2J"


def test_check_never_prints_raw_control_characters(invoke, write_json):
    path = write_json("a.json", {"problem": "batchnorm-forward", "seed": 1,
                                 "answers": {"mean": ESC, "variance": "1\ud800", "output": ["\u202e1", "\x00"]}})
    plain = invoke("check", path)
    assert plain.exit_code == 0 and "\x1b" not in plain.stdout and "\x07" not in plain.stdout
    assert "\\x1b" in plain.stdout
    result = invoke("check", path, "--json")
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert json.loads(result.stdout)["parts"][0]["verdict"] == "invalid"


def test_rich_markup_in_an_answer_is_printed_as_itself(invoke, write_json):
    path = write_json("a.json", {"problem": "batchnorm-forward", "seed": 1, "answers": {"mean": "[red]x"}})
    result = invoke("check", path)
    assert result.exit_code == 0 and "[red]x" in result.stdout


def _exam_key(invoke, tmp_path, names=("Ann", "Bo")):
    (tmp_path / "exam.toml").write_text('id = "mid"\ntitle = "Mid"\n[[problem]]\nid = "batchnorm-forward"\n'
                                        'points = 3\n', encoding="utf-8")
    rows = ["id,name"] + [f's{i + 1},"{name}"' for i, name in enumerate(names)]
    (tmp_path / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = invoke("exam", "build", tmp_path / "exam.toml", "--roster", tmp_path / "roster.csv",
                    "--out", tmp_path / "out", "--no-pdf", env={"GRADER_SECRET": "s"})
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / "staff" / "key.json"


def test_surrogates_in_a_submission_never_crash_check_with_a_key(invoke, tmp_path):
    key = _exam_key(invoke, tmp_path)
    sub = tmp_path / "sub.json"
    sub.write_text('{"student": "s1", "exam": "mid", "who": "\\udfff", "problems": [{"problem": '
                   '"batchnorm-forward", "answers": {"mean": "1\\ud800", "variance": "\\udfff"}}]}', encoding="utf-8")
    for extra in ((), ("--json",)):
        result = invoke("check", sub, "--key", key, *extra)
        assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["problems"][0]["parts"][0]["verdict"] == "invalid"


def test_a_student_id_with_a_surrogate_is_a_one_line_error(invoke, tmp_path):
    key = _exam_key(invoke, tmp_path)
    sub = tmp_path / "sub.json"
    sub.write_text('{"student": "\\udfff\\u001b[2J", "problems": [{"problem": "batchnorm-forward", "answers": {}}]}')
    result = invoke("check", sub, "--key", key)
    one_line_error(result, "is not in the key")
    assert "\x1b" not in result.stderr


def test_compare_batch_goes_on_after_every_bad_line(invoke, tmp_path):
    lines = [json.dumps({"type": "number", "reference": "1", "answer": "1\ud800"}),
             json.dumps({"type": "number", "reference": "1", "answer": ESC}),
             "not json", json.dumps([1]), '{"type": 3, "reference": 1, "answer": 1}',
             json.dumps({"type": "number", "reference": "1", "answer": "1e9999"}),
             json.dumps({"type": "vector", "reference": [1], "answer": "[1", "rtol": "x"}),
             json.dumps({"type": "number", "reference": "1", "answer": "1"})]
    path = tmp_path / "b.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n" + b"x" * 2_000_000 + b"\n"
                     + json.dumps({"type": "number", "reference": "2", "answer": "2"}).encode() + b"\n")
    result = invoke("compare", "--batch", path, "--json")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(lines) + 3
    assert rows[7]["verdict"] == rows[-1]["verdict"] == "correct"
    assert "\x1b" not in result.stdout and "out of range" in rows[5]["feedback"]
    assert "longer than" in rows[-2]["feedback"]
    plain = invoke("compare", "--batch", path)
    assert plain.exit_code == 0 and len(plain.stdout.splitlines()) == len(rows) and "\x1b" not in plain.stdout


def test_compare_with_a_hostile_argument(invoke):
    result = invoke("compare", "number", "1", ESC + "\udcff")
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "\\x1b" in result.stdout


def test_roster_names_are_escaped_in_markdown(invoke, tmp_path):
    _exam_key(invoke, tmp_path, names=("<script>alert(1)</script>", "Ann\nB *x* \x1b[2J"))
    out = tmp_path / "out"
    first = (out / "students" / "s1" / "exam.md").read_text(encoding="utf-8")
    assert "<script>" not in first and "\\<script\\>" in first
    for path in (out / "students" / "s2" / "exam.md", out / "staff" / "solutions" / "s2.md"):
        text = path.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\\*x\\*" in text and "Ann\nB" not in text


def test_user_errors_show_control_characters(invoke):
    result = invoke("new", "\x1b[2Jbeam")
    one_line_error(result, "\\x1b")


def test_exam_build_refuses_special_files(invoke, tmp_path):
    (tmp_path / "exam.toml").write_text('id = "mid"\n[[problem]]\nid = "batchnorm-forward"\npoints = 3\n')
    result = invoke("exam", "build", tmp_path / "exam.toml", "--roster", "/dev/zero", "--out", tmp_path / "out",
                    "--no-pdf", env={"GRADER_SECRET": "s"})
    one_line_error(result, "/dev/zero", "not a regular file")


def test_exam_grade_reads_answers_toml(invoke, tmp_path):
    key = json.loads(_exam_key(invoke, tmp_path).read_text(encoding="utf-8"))
    answers = {p["id"]: p["answer"] for p in key["students"]["s1"][0]["parts"]}
    subs = tmp_path / "subs"
    subs.mkdir()
    lines = ['student = "s1"', 'exam = "mid"', "[[problems]]", 'problem = "batchnorm-forward"', "[problems.answers]"]
    lines += [f"{pid} = {json.dumps(value)}" for pid, value in answers.items()]
    (subs / "answers.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke("exam", "grade", tmp_path / "out", subs, "--out", tmp_path / "results", "--jobs", "1")
    assert result.exit_code == 0, result.output
    book = (tmp_path / "results" / "gradebook.csv").read_text(encoding="utf-8")
    assert any(line.startswith("s1,") and ",3," in line for line in book.splitlines()), book


def test_sets_and_sequences_are_bounded_without_the_sandbox():
    for name in ("set", "sequence"):
        atype = make(name)
        assert not atype.budgeted(["x"] * 5000)
        assert atype.grade(["x" * 3000], ["neural network"]).verdict == "invalid"
        assert atype.grade(["x"] * 5000, ["neural network"]).verdict == "invalid"
    assert make("set").grade([["neural", "network"], "network neural"], ["neural network", "network neural"]).verdict == "correct"
