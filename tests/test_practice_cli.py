"""`grader practice` through click's CliRunner (the server is bound for real, then one request is
served), its one-line errors, and the answers.toml skeleton that `grader new --out` writes."""
import json
import socket
import sys
import urllib.request

import pytest

from grader import registry
from grader.web.server import PracticeServer

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture
def serve_once(monkeypatch):
    """Replace the foreground loop by: serve in a thread, fetch the printed URL once, stop."""
    fetched = {}

    def serve(self):
        with self:
            with urllib.request.urlopen(fetched["url"] if "url" in fetched else self.url, timeout=10) as r:
                fetched["status"], fetched["body"] = r.status, r.read().decode()

    monkeypatch.setattr(PracticeServer, "serve", serve)
    opened = []
    monkeypatch.setattr("grader.commands.practice.open_browser", opened.append)
    fetched["opened"] = opened
    return fetched


def test_practice_prints_the_url_and_serves_it(invoke, serve_once):
    out = invoke("practice", "--no-browser")
    assert out.exit_code == 0
    url = out.stdout.split("Practice at ", 1)[1].split()[0]
    assert url.startswith("http://127.0.0.1:") and len(url.rsplit("/", 2)[1]) >= 20
    assert serve_once["status"] == 200 and "beam-search" in serve_once["body"]
    assert serve_once["opened"] == []


def test_practice_with_one_problem_opens_its_page(invoke, serve_once):
    out = invoke("practice", "beam-search")
    assert out.exit_code == 0
    url = out.stdout.split("Practice at ", 1)[1].split()[0]
    assert url.endswith("/p/beam-search")
    assert serve_once["opened"] == [url]


def test_practice_on_a_given_port(invoke, serve_once):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = invoke("practice", "--port", port, "--no-browser")
    assert out.exit_code == 0 and f"http://127.0.0.1:{port}/" in out.stdout


def test_practice_errors_are_one_line(invoke, data_dir):
    unknown = invoke("practice", "no-such-problem", "--no-browser")
    assert unknown.exit_code == 2 and unknown.output.startswith("Error: unknown problem 'no-such-problem'")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = invoke("practice", "--port", busy.getsockname()[1], "--no-browser")
    assert taken.exit_code == 2 and taken.output.startswith("Error: cannot listen on 127.0.0.1:")
    assert taken.output.count("\n") == 1
    bad_port = invoke("practice", "--port", "70000")
    assert bad_port.exit_code == 2
    data_dir.mkdir(exist_ok=True)
    (data_dir / "progress.sqlite3").write_bytes(b"\x00garbage" * 64)
    corrupt = invoke("practice", "--no-browser")
    assert corrupt.exit_code == 2 and corrupt.output.startswith("Error: progress database")
    assert "Traceback" not in corrupt.output


def test_help_lists_practice_and_progress(invoke):
    out = invoke("--help").output
    assert "practice" in out and "progress" in out
    assert "--no-browser" in invoke("practice", "--help").output


@pytest.mark.parametrize("problem", ["beam-search", "batchnorm-forward", "ridge-regression", "diffpool"])
def test_new_out_writes_an_answers_toml_skeleton(invoke, tmp_path, problem):
    out = invoke("new", problem, "--seed", 3, "--out", tmp_path)
    assert out.exit_code == 0
    data = tomllib.loads((tmp_path / "answers.toml").read_text(encoding="utf-8"))
    skeleton = json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))
    assert data["problem"] == problem and data["seed"] == 3
    assert list(data["answers"]) == list(skeleton["answers"])
    assert set(data["answers"].values()) == {""}
    inst = registry.get(problem).instance(3, {})
    assert registry.get(problem).instance(3, data.get("params", {})).params == inst.params


def test_answers_toml_keeps_pinned_parameters_and_takes_latex_literally(invoke, tmp_path):
    out = invoke("new", "beam-search", "--seed", 5, "--require", "is_optimal=false", "--out", tmp_path)
    assert out.exit_code == 0
    text = (tmp_path / "answers.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    inst = registry.get("beam-search").instance(5, {}, {"is_optimal": False})
    assert data["params"] == inst.params
    filled = text.replace("complexity = ''", r"complexity = 'O(TkM\log M)'")
    assert tomllib.loads(filled)["answers"]["complexity"] == r"O(TkM\log M)"


def test_answers_toml_is_left_out_when_toml_cannot_hold_the_variant(invoke, tmp_path):
    inst = registry.get("diffpool").instance(3, {})
    pinned = {k: v for k, v in inst.params.items() if v is not None and k != "A"}
    out = invoke("new", "diffpool", "--seed", 3, "--param", f"H={json.dumps(pinned['H'])}", "--out", tmp_path)
    assert out.exit_code == 0
    if (tmp_path / "answers.toml").exists():
        data = tomllib.loads((tmp_path / "answers.toml").read_text(encoding="utf-8"))
        again = registry.get("diffpool").instance(3, data.get("params", {}))
        assert again.params == registry.get("diffpool").instance(3, {"H": pinned["H"]}).params
    else:
        assert "answers.toml not written" in out.stderr


def test_the_grading_sandbox_holds_no_connection_of_the_server(data_dir):
    """The sandbox's worker is forked before the server accepts anything, so a connection the
    server closes is closed (a worker forked later would keep it open for the browser to hang on)."""
    from pathlib import Path

    import grader.answers.sandbox as sandbox
    from grader.progress import Progress
    from grader.web.app import create_app
    from grader.web.server import new_token

    token = new_token()
    with PracticeServer(create_app(token, ["beam-search"], Progress()), token) as srv:
        body = json.dumps({"problem": "beam-search", "seed": 3, "part": "complexity", "answer": "O(T k M)"})
        request = urllib.request.Request(srv.url + "api/preview", data=body.encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            assert "read_as" in json.loads(r.read())
        fds = Path(f"/proc/{sandbox._worker.pid}/fd")
        if not fds.is_dir():
            pytest.skip("no /proc: the worker's open files cannot be listed here")
        sockets = [fd for fd in fds.iterdir() if fd.readlink().as_posix().startswith("socket:")]
        assert sockets == []
