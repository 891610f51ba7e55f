"""Hostile submission files and answers (SPEC §9), generated with hypothesis: `check`,
`compare --batch` and `exam grade` exit 0 or 2, never with a traceback, within a bounded
time, and what they write parses."""
import csv
import io
import json
import signal
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grader.cli import cli

SECONDS = 60  # a hang guard for one command, far above any honest run
HOSTILE_TEXT = ["1\ud800", "\udfff", "\x1b]0;TITLE\x07\x1b[2J", "\x00", "x\u202ey", "1e9999", "9^999*9^999*9^999",
                "exp(exp(9^99))", "exp(9^999)", "[" * 300, "\\gamma", "<script>alert(1)</script>", "=cmd|' /C calc'!A0",
                "[-10; 34]", "209,658", "sqrt(2)/2", "-5/3", "\u22125/3", "1" * 3000, "| --- |", "`x`", "\r\n"]
LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-2**1100, max_value=2**1100),
                 st.floats(allow_nan=False), st.text(max_size=20), st.sampled_from(HOSTILE_TEXT))
ANSWER = st.recursive(LEAF, lambda kids: st.lists(kids, max_size=6) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
                      max_leaves=20)
PARTS = ["mean", "variance", "output", "nope", "\x1b[2J", "\ud800"]


class Overtime(Exception):
    pass


@contextmanager
def deadline(seconds: float = SECONDS):
    def alarm(signum, frame):
        raise Overtime(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def invoke(*args):
    with deadline():
        result = CliRunner().invoke(cli, [str(a) for a in args], env={"GRADER_SECRET": "fuzz"})
    assert result.exit_code in (0, 2) and (result.exception is None or isinstance(result.exception, SystemExit)), \
        (result.exit_code, result.output, result.exc_info)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert "\x1b" not in result.stderr
    return result


def _file_bytes(draw_value, encoding_trick: str) -> bytes:
    text = json.dumps(draw_value, ensure_ascii=encoding_trick == "ascii")
    if encoding_trick == "utf8":
        return text.encode("utf-8", "surrogatepass")
    if encoding_trick == "truncated":
        return text.encode("utf-8", "surrogatepass")[: max(1, len(text) // 2)]
    return text.encode("ascii")


SUBMISSION = st.fixed_dictionaries({
    "problem": st.sampled_from(["batchnorm-forward", "batchnorm-forward", "diffpool", "nope", ""]),
    "seed": st.one_of(st.integers(min_value=0, max_value=50), st.integers(), st.none(), st.text(max_size=3)),
    "answers": st.one_of(st.dictionaries(st.sampled_from(PARTS), ANSWER, max_size=4), ANSWER),
}, optional={"params": st.one_of(st.dictionaries(st.sampled_from(["batch", "gamma", "eps", "x"]), ANSWER, max_size=2),
                                 ANSWER),
             "student": ANSWER, "problems": ANSWER})


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(value=SUBMISSION, trick=st.sampled_from(["ascii", "utf8", "truncated"]), as_json=st.booleans())
def test_check_with_a_hostile_answers_file(tmp_path_factory, value, trick, as_json):
    path = tmp_path_factory.mktemp("check") / "answers.json"
    path.write_bytes(_file_bytes(value, trick))
    result = invoke("check", path, *(["--json"] if as_json else []))
    if result.exit_code == 0:
        if as_json:
            json.loads(result.stdout)
        assert "\x1b" not in result.stdout and "\x00" not in result.stdout


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_check_with_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "answers.json"
    path.write_bytes(data)
    invoke("check", path)


TYPES = ["number", "vector", "matrix", "shapes", "set", "sequence", "boolean", "choice", "text", "expression", "bigo",
         "nope", 3]
LINE = st.fixed_dictionaries({"type": st.sampled_from(TYPES), "reference": ANSWER, "answer": ANSWER},
                             optional={"vars": ANSWER, "rtol": ANSWER, "sigfigs": ANSWER, "options": ANSWER})
GOOD = [{"type": "number", "reference": "-5/3", "answer": "-1.67"},
        {"type": "vector", "reference": [1, 2], "answer": "[1; 2]"},
        {"type": "expression", "reference": "x^2", "answer": "x*x", "vars": ["x"]}]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(LINE.map(json.dumps), st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
                                st.sampled_from(HOSTILE_TEXT)), min_size=1, max_size=6),
       as_json=st.booleans())
def test_compare_batch_with_hostile_lines(tmp_path_factory, lines, as_json):
    good = [json.dumps(g) for g in GOOD]
    body = [x.replace("\n", " ").replace("\r", " ") for x in lines] + good
    path = tmp_path_factory.mktemp("batch") / "b.jsonl"
    path.write_bytes("\n".join(body).encode("utf-8", "surrogatepass") + b"\n")
    result = invoke("compare", "--batch", path, *(["--json"] if as_json else []))
    assert result.exit_code == 0
    out = result.stdout.splitlines()
    assert len(out) == sum(1 for line in body if line.encode("utf-8", "surrogatepass").strip())
    assert "\x1b" not in result.stdout
    if as_json:
        rows = [json.loads(line) for line in out]
        assert [r["verdict"] for r in rows[-3:]] == ["correct"] * 3


@pytest.fixture(scope="module")
def exam(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exam")
    (folder / "exam.toml").write_text('id = "mid"\ntitle = "Mid"\n[[problem]]\nid = "batchnorm-forward"\npoints = 3\n',
                                      encoding="utf-8")
    (folder / "roster.csv").write_text("id,name\ns1,Ann\ns2,Bo\ns3,Cy\n", encoding="utf-8")
    invoke("exam", "build", folder / "exam.toml", "--roster", folder / "roster.csv", "--out", folder / "exam",
           "--no-pdf", "--jobs", "1")
    return folder / "exam"


EXAM_SUBMISSION = st.fixed_dictionaries({
    "student": st.one_of(st.sampled_from(["s1", "s2", "s3", "\udfff", "\x1b[2J", "s1\x00"]), ANSWER),
    "problems": st.one_of(st.lists(st.fixed_dictionaries({
        "problem": st.sampled_from(["batchnorm-forward", "diffpool", "\ud800"]),
        "answers": st.one_of(st.dictionaries(st.sampled_from(PARTS), ANSWER, max_size=4), ANSWER)}), max_size=2),
        ANSWER),
}, optional={"exam": st.sampled_from(["mid", "other", "\ud800"]), "name": ANSWER})


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(EXAM_SUBMISSION, st.sampled_from(["ascii", "utf8", "truncated"])), min_size=1, max_size=4))
@example(files=[({"student": "s1", "exam": "mid", "problems": [{"problem": "batchnorm-forward", "answers": {
    "mean": "1\ud800", "variance": "\x1b]0;TITLE\x07\x1b[2J", "output": ["exp(exp(9^99))", "1e9999", "\x00"]}}]}, "utf8"),
                ({"student": "\udfff", "problems": [{"problem": "batchnorm-forward", "answers": {}}]}, "utf8"),
                ({"student": "s2", "exam": "mid", "problems": [{"problem": "batchnorm-forward", "answers": {
                    "mean": "<script>", "variance": "9^999*9^999*9^999"}}]}, "ascii")])
def test_exam_grade_with_hostile_submissions(exam, tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("subs")
    for i, (value, trick) in enumerate(files):
        (folder / f"sub{i}.json").write_bytes(_file_bytes(value, trick))
    out = folder.parent / f"{folder.name}-results"
    result = invoke("exam", "grade", exam, folder, "--out", out, "--jobs", "1")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))
    assert {r["student"] for r in rows if r["student"]} >= {"s1", "s2", "s3"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    graded = [r for r in rows if r["student"] and r["total"] != ""]
    assert len(graded) + len(summary["skipped"]) == len(files)  # each file graded or named as skipped
    words = " ".join(result.stdout.split())
    for skipped in summary["skipped"]:
        assert skipped["file"] in words
