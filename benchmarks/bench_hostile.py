"""A class with hostile submissions (issue 9, SPEC §9): N students × 6 problems, a quarter of
whose submissions carry every attack, plus files that are attacks in themselves (a FIFO, links,
binary, huge, malformed). Graded on `--jobs` processes:

- time of `exam grade` with the hostile files (target < 30 s for 300 students on 2 cores);
- every honest student's files (feedback, Gradescope JSON, gradebook and Canvas rows) byte-
  identical to a run without the hostile files;
- every hostile file named in the report and the summary; the verdicts the attacks got;
- with `--kills K` (default 5): `exam grade` is killed with SIGKILL at K random moments on one
  RESULTS folder, then run to the end; its files are compared byte for byte with an
  uninterrupted run, and workers that outlive a killed run are counted (then ended).

    python benchmarks/bench_hostile.py [--students 300] [--jobs 2] [--kills 5] [--seed 0]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_exam import answers_of, usable_problems, write_inputs  # noqa: E402

TARGET_SECONDS = 30.0
ESC = "\x1b]0;TITLE\x07\x1b[2J"
# Every answer-level attack of the issue; a hostile submission carries all of them.
ANSWER_ATTACKS = [
    "1\ud800", "\udfff", ESC, "x\x00y", "\u202e1\u202c", "exp(exp(9^99))", "exp(9^999)",
    ["exp(9^999)", "exp(9^999)", "exp(9^999)"], "1e9999", "9^999*9^999*9^999", "exp(-exp(9^99))",
    "x^2 + relu(x-1000)", "x^2 + max(0, x - 3.01)", "x^2*(1+10^(-12))", "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0", "| a | b |\n|---|---|", "`", r"\input{/etc/passwd}", list(range(10_000)),
    [[[[[[[[[[1]]]]]]]]]], "9" * 5000, "__import__('os').system('id')", {"a": 1}, True,
]
VERDICT = re.compile(r"\b(correct|partial|incorrect|invalid|unanswered|manual)\b")
PARAM_ATTACKS = {"batch": [1e308, -1e308, 1e308], "gamma": 1e308, "A": [[1e308, 0], [0, 1e308]],
                 "features": {}, "vocab": ["x"], "length": 1}


def hostile_answers(entries: list[dict], offset: int) -> list[dict]:
    """Every attack placed in some part (cycling through the parts of all problems)."""
    slots = [(i, part["id"]) for i, e in enumerate(entries) for part in e["parts"]]
    problems = [{"problem": e["problem"], "params": PARAM_ATTACKS, "answers": {}} for e in entries]
    for n in range(max(len(slots), len(ANSWER_ATTACKS))):
        i, pid = slots[(n + offset) % len(slots)]
        problems[i]["answers"][pid] = ANSWER_ATTACKS[n % len(ANSWER_ATTACKS)]
    return problems


def dump(value) -> bytes:
    return json.dumps(value).encode("ascii")  # lone surrogates travel as JSON escapes


def write_class(exam_dir: Path, clean: Path, hostile: Path, seed: int) -> tuple[list[str], list[str], list[str]]:
    """The honest submissions (in both folders) and the hostile ones (only in `hostile`).
    Returns the honest students, the hostile students and the names of the file-level attacks."""
    key = json.loads((exam_dir / "staff/key.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    exam = key["exam"]
    clean.mkdir()
    hostile.mkdir()
    honest, attackers = [], []
    for n, (sid, entries) in enumerate(sorted(key["students"].items())):
        name = f"upload-{n:05d}.json"
        if n % 4 == 3:
            attackers.append(sid)
            body = {"student": sid, "exam": exam, "name": "\udfff" + ESC, "problems": hostile_answers(entries, n)}
            (hostile / name).write_bytes(dump(body))
            continue
        honest.append(sid)
        body = dump({"student": sid, "exam": exam,
                     "problems": [{"problem": e["problem"], "answers": answers_of(e, n % 3, rng)} for e in entries]})
        (clean / name).write_bytes(body)
        (hostile / name).write_bytes(body)
    first = attackers[0]
    files = {
        "fifo.json": None, "zero.json": None, "linked-folder": None,
        "binary.json": b"\x00\x01\x02\xff" * 100, "not-utf8.json": b'{"student": "\xff\xfe"}',
        "truncated.json": b'{"student": "' + first.encode() + b'", "problems": [',
        "huge.json": dump({"student": first, "exam": exam, "problems": []})[:-1] + b" " * (2 << 20) + b"}",
        "latex.json": ('{"student": "%s", "exam": "%s", "problems": [{"problem": "x", "answers": {"a": "\\gamma"}}]}'
                       % (first, exam)).encode(),
        "other-exam.json": dump({"student": first, "exam": "final", "problems": [{"problem": "x", "answers": {}}]}),
        "stranger.json": dump({"student": "\udfff\x1b[2J", "exam": exam, "problems": [{"problem": "x", "answers": {}}]}),
        "zz-duplicate.json": dump({"student": first, "exam": exam,
                                   "problems": [{"problem": e["problem"], "answers": {}} for e in key["students"][first]]}),
        "bad-seed.json": dump({"student": first, "exam": exam, "problems": [{"problem": "x", "seed": 2**70}]}),
        "zz-answers.toml": f'student = "{first}"\nexam = "{exam}"\n[[problems]]\nproblem = "x"\n[problems.answers\n'.encode(),
    }
    for fname, data in files.items():
        if data is not None:
            (hostile / fname).write_bytes(data)
    os.mkfifo(hostile / "fifo.json")
    os.symlink("/dev/zero", hostile / "zero.json")
    outside = hostile.parent / "outside"
    outside.mkdir()
    (outside / "hidden.json").write_bytes((clean / "upload-00000.json").read_bytes())
    os.symlink(outside, hostile / "linked-folder", target_is_directory=True)
    return honest, attackers, sorted(files)


def grade(exam_dir: Path, subs: Path, out: Path, jobs: int) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader", "exam", "grade", str(exam_dir), str(subs), "--out", str(out),
                           "--jobs", str(jobs)], capture_output=True, timeout=1800)
    return time.perf_counter() - start, done


def student_files(out: Path, sid: str) -> dict[str, bytes]:
    """Everything written for one student: their own files and their gradebook and Canvas rows."""
    found = {}
    for rel in (f"feedback/{sid}.md", f"gradescope/{sid}.json"):
        path = out / rel
        found[rel] = path.read_bytes() if path.is_file() else b"(missing)"
    for table in ("gradebook.csv", "canvas.csv"):
        path = out / table
        rows = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        found[table] = "\n".join(r for r in rows if r.split(",", 1)[0].strip('"') == sid
                                 or f",{sid}," in r).encode()
    return found


def tree(out: Path) -> dict[str, bytes]:
    """Every output file (the cache and hidden files aside) by relative path."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)}


def group_survivors(pgid: int) -> list[int]:
    """Processes still in the process group of a killed run (its workers, if they outlived it)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def kill_runs(exam_dir: Path, subs: Path, root: Path, jobs: int, kills: int, full: float,
              rng: random.Random) -> list[dict]:
    """`kills` trials, each on a RESULTS folder of its own: `exam grade` killed with SIGKILL at a
    random moment (within the first three quarters of an uninterrupted run's time `full`), then
    run again to the end on the same folder."""
    trials = []
    for k in range(kills):
        out = root / f"resumed-{k}"
        at = rng.uniform(0.05, 0.75) * full
        proc = subprocess.Popen([sys.executable, "-m", "grader", "exam", "grade", str(exam_dir), str(subs), "--out",
                                 str(out), "--jobs", str(jobs)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(at)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(1.0)  # let workers notice a dead parent
        survivors = group_survivors(proc.pid)
        if survivors:
            os.killpg(proc.pid, signal.SIGKILL)  # the group of the run started above, and nothing else
        cache = out / ".cache"
        cached = sum(1 for _ in cache.iterdir()) if cache.is_dir() else 0
        resume_time, resumed = grade(exam_dir, subs, out, jobs)
        trials.append({"at": at, "finished": finished, "status": proc.returncode, "survivors": len(survivors),
                       "cached": cached, "out": out, "resume_time": resume_time, "resume_status": resumed.returncode})
    return trials


def compare_trees(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--problems", type=int, default=6)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from grader.exam.build import build_exam
    from grader.exam.spec import load_roster, load_spec

    rng = random.Random(args.seed)
    problems = usable_problems(args.problems)
    print(f"problems: {', '.join(problems)}; students: {args.students}; jobs: {args.jobs}", flush=True)
    failures = []
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        root = Path(tmp)
        exam, roster_file = write_inputs(root, problems, args.students)
        rows = roster_file.read_text(encoding="utf-8").splitlines()
        rows[4] = rows[4].split(",")[0] + ',"<script>alert(1)</script>"'  # hostile roster names (an attacker's row)
        rows[8] = rows[8].split(",")[0] + ',"Eve\nB *x* \x1b[2J"'
        roster_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
        spec = load_spec(exam)
        roster, data = load_roster(roster_file)
        build_exam(spec, str(exam), roster, data, str(roster_file), b"benchmark secret", root / "exam",
                   jobs=args.jobs, pdf=False)
        honest, attackers, attack_files = write_class(root / "exam", root / "clean", root / "hostile", args.seed)
        clean_time, clean = grade(root / "exam", root / "clean", root / "clean-results", args.jobs)
        hostile_time, dirty = grade(root / "exam", root / "hostile", root / "hostile-results", args.jobs)
        for label, done in (("clean", clean), ("hostile", dirty)):
            if done.returncode != 0:
                failures.append(f"{label} run exited {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}")
        print(f"\n{'':<46}{'measured':>12}{'target':>12}")
        print(f"{'exam grade, honest files only':<46}{clean_time:>10.1f} s{'':>12}")
        print(f"{'exam grade, with the hostile files':<46}{hostile_time:>10.1f} s{'< %.0f s' % TARGET_SECONDS:>12}")
        if hostile_time >= TARGET_SECONDS:
            failures.append(f"grading with the hostile files took {hostile_time:.1f} s")

        cout, hout = root / "clean-results", root / "hostile-results"
        differ = [sid for sid in honest if student_files(cout, sid) != student_files(hout, sid)]
        print(f"{'honest students with identical files':<46}{len(honest) - len(differ):>8} / {len(honest)}")
        if differ:
            failures.append(f"{len(differ)} honest students' files differ, e.g. {differ[:3]}")

        summary_text = (hout / "summary.json").read_text(encoding="utf-8") if (hout / "summary.json").is_file() else "{}"
        summary = json.loads(summary_text)
        report = (hout / "report.html").read_text(encoding="utf-8") if (hout / "report.html").is_file() else ""
        printed = " ".join(dirty.stdout.decode("utf-8", "replace").split())
        # skipped files by name; of two uploads of one student, the one not taken names the other
        listed = json.dumps(summary.get("skipped", []) + summary.get("not_taken", []), ensure_ascii=False)
        for where, text in (("summary.json", listed), ("report.html", report), ("terminal output", printed)):
            unnamed = [f for f in attack_files if f not in text]
            print(f"{'file-level attacks named in ' + where:<46}{len(attack_files) - len(unnamed):>8} / {len(attack_files)}")
            if unnamed:
                failures.append(f"file-level attacks not named in {where}: {', '.join(unnamed)}")
        book = {r["student"]: r for r in csv.DictReader(io.StringIO((hout / "gradebook.csv").read_text(encoding="utf-8")))}
        ungraded = [sid for sid in attackers if book.get(sid, {}).get("total", "") == ""]
        print(f"{'hostile submissions graded (not lost)':<46}{len(attackers) - len(ungraded):>8} / {len(attackers)}")
        if ungraded:
            failures.append(f"{len(ungraded)} hostile submissions were not graded, e.g. {ungraded[:3]}")
        verdicts = {}
        for sid in attackers:
            path = hout / "gradescope" / f"{sid}.json"
            if path.is_file():
                for test in json.loads(path.read_text(encoding="utf-8")).get("tests", []):
                    found = VERDICT.search(str(test.get("output", "")))
                    word = "pending" if "pending" in test.get("tags", []) else found.group(1) if found else "other"
                    verdicts[word] = verdicts.get(word, 0) + 1
        if verdicts:
            print(f"{'verdicts of the attacked parts':<46}" + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
        raw = [p.relative_to(hout).as_posix() for p in hout.rglob("*") if p.is_file()
               and p.suffix in (".md", ".csv", ".html") and any(c in p.read_bytes() for c in (b"\x1b", b"\x00"))]
        print(f"{'output files holding raw ESC or NUL bytes':<46}{len(raw):>8}")
        if raw:
            failures.append(f"raw control bytes in {', '.join(sorted(raw)[:5])}")
        outside = "hidden.json" in summary_text or "linked-folder" in summary_text
        print(f"{'symlinked folder listed as skipped':<46}{'yes' if outside else 'no':>8}")
        if not outside:
            failures.append("the symlinked folder in SUBMISSIONS is not listed as skipped")

        if args.kills:
            trials = kill_runs(root / "exam", root / "hostile", root, args.jobs, args.kills, hostile_time, rng)
            print(f"\nkill -9 at {args.kills} random moments (each on a RESULTS of its own), then a rerun to the end:")
            uninterrupted = tree(hout)
            for t in trials:
                state = (f"had already finished (exit status {t['status']})" if t["finished"]
                         else f"killed; {t['cached']} results kept")
                diffs = compare_trees(uninterrupted, tree(t["out"]))
                print(f"  at {t['at']:5.1f} s: {state}; workers left alive: {t['survivors']}; rerun {t['resume_time']:.1f} s "
                      f"(exit {t['resume_status']}); files differing from the uninterrupted run: {len(diffs)}"
                      + (f", e.g. {', '.join(diffs[:4])}" if diffs else ""))
                if diffs:
                    failures.append(f"a resumed run differs from the uninterrupted one in {len(diffs)} files")
            if any(t["survivors"] for t in trials):
                failures.append("workers outlived a killed run")
            if not any(t["cached"] for t in trials if not t["finished"]):
                failures.append("no result was kept by a killed run (nothing to resume)")
        shutil.rmtree(root / "outside", ignore_errors=True)
    print("\nPASS" if not failures else "\nFAIL:\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    main()
