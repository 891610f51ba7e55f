"""`grader exam build`: one variant per student and problem, the students' bundles and the
staff's key, manifest and solutions. The same inputs give byte-identical files (PDFs aside)."""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from pathlib import Path

from grader import __version__, registry
from grader.exam.files import sha256, write_atomic, write_json
from grader.exam.spec import ExamProblem, ExamSpec, Student, unsatisfiable, variant
from grader.rng import exam_seed

MAX_REDRAWS = 25  # draws per student before a problem counts as out of distinct variants
DEFAULT_INSTRUCTIONS = ("Write your answers in `answers.json`, one entry per part id; the line under "
                        "each part says how it is graded.")


@dataclass
class BuildResult:
    out: Path
    students: int
    problems: list[dict]
    pdf: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    """What a worker needs to write one student's files."""

    title: str
    exam_id: str
    instructions: str
    out: str
    pdf: bool


def _units(points: float) -> int:
    return round(float(points) * 10_000)


def _pts(units: int):
    return units // 10_000 if units % 10_000 == 0 else units / 10_000


def scale_points(part_points: list[float], total: float) -> list:
    """Part points scaled to sum to `total` exactly (to 1/10000 of a point)."""
    target = _units(total)
    own = sum(part_points)
    if not own:
        return [_pts(0)] * len(part_points)
    units = [round(p * target / own) for p in part_points]
    units[units.index(max(units))] += target - sum(units)
    return [_pts(u) for u in units]


def key_entry(instance, points: float | None) -> dict:
    """One problem of one student in staff/key.json; part points sum to the problem's points."""
    total = instance.max_score if points is None else points
    scaled = scale_points([part.points for part in instance.parts], total)
    return {"problem": instance.problem.id, "seed": instance.seed, "params": instance.params,
            "points": _pts(_units(total)),
            "parts": [{"id": part.id, "type": part.type.name, "answer": instance.answer(part.id), "points": pts}
                      for part, pts in zip(instance.parts, scaled)]}


def assign_variants(task: tuple) -> dict:
    """Variants of one exam problem for every student, in student-id order: each seed comes from
    the HMAC; a variant another student already has is redrawn (attempt 1, 2, ...) until the
    problem runs out of distinct ones, after which students share the first variant drawn."""
    item, exam_id, secret, student_ids = task
    problem = registry.get(item.id)
    seen: set[str] = set()
    entries, fingerprints = [], []
    exhausted_at = None
    for sid in student_ids:
        chosen = None
        for attempt in range(MAX_REDRAWS):
            instance = variant(problem, item, exam_seed(secret, exam_id, sid, item.index, attempt))
            if instance is None:  # no draw from this seed meets `require`: the next seed may
                continue
            fingerprint = instance.fingerprint()
            if chosen is None or fingerprint not in seen:
                chosen = instance, fingerprint
            if fingerprint not in seen or exhausted_at is not None:
                break
        else:
            if chosen is None:
                raise unsatisfiable(item, MAX_REDRAWS)
            exhausted_at = sid
        instance, fingerprint = chosen
        seen.add(fingerprint)
        entries.append(key_entry(instance, item.points))
        fingerprints.append(fingerprint)
    return {"entries": entries, "fingerprints": fingerprints, "distinct": len(seen), "exhausted_at": exhausted_at}


def _views(entries: list[dict]) -> list[dict]:
    """Problem views with solutions, the part points those of the key."""
    from grader.render import problem_view

    views = []
    for entry in entries:
        instance = registry.get(entry["problem"]).instance(entry["seed"], entry["params"])
        view = problem_view(instance, True, points=entry["points"])
        for part_view, part in zip(view["parts"], entry["parts"]):
            part_view["points"] = part["points"]
        view["points"] = entry["points"]
        views.append(view)
    return views


def student_view(view: dict) -> dict:
    """A problem view without its seed, answers or solutions."""
    hidden = ("answer", "answer_text", "solution")
    return dict(view, seed=None, parts=[{k: v for k, v in part.items() if k not in hidden} for part in view["parts"]])


def render_student(task: tuple) -> dict:
    """Write one student's exam (md, tex, html, pdf), answers skeleton and solutions; return the
    SHA-256 of each file written (PDFs aside) and any LaTeX failure."""
    from grader.render import render_document

    student, entries, job = task
    out = Path(job.out)
    views = _views(entries)
    public = [student_view(v) for v in views]
    who = f"{student.name} ({student.id})" if student.name else student.id
    meta = {"title": job.title, "subtitle": f"{job.exam_id} · {who}", "instructions": job.instructions}
    folder = f"students/{student.id}"
    files = {f"{folder}/exam.{fmt}": render_document(public, fmt, solution=False, **meta)
             for fmt in ("md", "tex", "html")}
    skeleton = {"student": student.id, "exam": job.exam_id,
                "problems": [{"problem": e["problem"], "answers": {p["id"]: None for p in e["parts"]}}
                             for e in entries]}
    from grader.exam.files import dump_json

    files[f"{folder}/answers.json"] = dump_json(skeleton)
    solutions = dict(meta, subtitle=f"{meta['subtitle']} · solutions")
    files[f"staff/solutions/{student.id}.md"] = render_document(views, "md", solution=True, **solutions)
    hashes = {rel: write_atomic(out / rel, text) for rel, text in files.items()}
    failures = []
    if job.pdf:
        from grader.errors import GraderError
        from grader.pdf import compile_pdf

        for tex, target in ((files[f"{folder}/exam.tex"], f"{folder}/exam.pdf"),
                            (render_document(views, "tex", solution=True, **solutions),
                             f"staff/solutions/{student.id}.pdf")):
            try:
                compile_pdf(tex, out / target)
            except GraderError as exc:
                failures.append(str(exc))
    return {"hashes": hashes, "pdf_failures": failures}


def secret_id(secret: bytes) -> str:
    """A name for the secret that does not reveal it (to tell two builds' secrets apart)."""
    return hmac.new(secret, b"grader exam secret id", "sha256").hexdigest()[:16]


def build_exam(spec: ExamSpec, spec_name: str, students: list[Student], roster: bytes, roster_name: str,
               secret: bytes, out: Path, *, jobs: int = 1, pdf: bool | None = None) -> BuildResult:
    """Build the exam into `out`. `pdf`: True or None compiles PDFs when a TeX engine is
    installed (True insists), False never."""
    from grader.exam.parallel import run_all
    from grader.pdf import tex_engine

    out = Path(out)
    ordered = sorted(students, key=lambda s: s.id)
    ids = [s.id for s in ordered]
    warnings = []
    assigned = run_all(assign_variants, [(item, spec.id, secret, ids) for item in spec.problems],
                       jobs=min(jobs, len(spec.problems)), description="drawing variants")
    problems = []
    for item, got in zip(spec.problems, assigned):
        problems.append(_problem_summary(item, got, len(ids)))
        if got["exhausted_at"] is not None:
            warnings.append(f"{item.label}: only {got['distinct']} distinct variants for {len(ids)} students "
                            f"(from student {got['exhausted_at']} on, some share a variant)")
    key = {"exam": spec.id, "students": {sid: [got["entries"][i] for got in assigned] for i, sid in enumerate(ids)}}

    if pdf is False:
        pdf_state, compile_pdfs = "not requested", False
    elif tex_engine() is None:
        pdf_state, compile_pdfs = "no TeX engine installed: no PDFs", False
        if pdf:
            warnings.append("--pdf was given but neither latexmk nor pdflatex is on PATH")
    else:
        pdf_state, compile_pdfs = "compiled", True
    job = _Job(spec.title, spec.id, spec.instructions or DEFAULT_INSTRUCTIONS, str(out), compile_pdfs)
    written = run_all(render_student, [(s, key["students"][s.id], job) for s in ordered],
                      jobs=jobs, description="writing exams")
    failures = [f for w in written for f in w["pdf_failures"]]
    if failures:
        pdf_state = f"{len(failures)} PDF(s) failed"
        warnings.append(f"LaTeX failed for {len(failures)} document(s); first: {failures[0]}")

    key_hash = write_json(out / "staff" / "key.json", key)
    manifest = {
        "grader_version": __version__,
        "exam": spec.id,
        "title": spec.title,
        "inputs": {"exam": {"file": Path(spec_name).name, "sha256": sha256(spec.source)},
                   "roster": {"file": Path(roster_name).name, "sha256": sha256(roster)},
                   "secret_id": secret_id(secret)},
        "problems": problems,
        "key": {"file": "staff/key.json", "sha256": key_hash},
        "students": {s.id: {"name": s.name, "email": s.email,
                            "variants": [got["fingerprints"][i] for got in assigned],
                            "files": w["hashes"]}
                     for i, (s, w) in enumerate(zip(ordered, written))},
    }
    write_json(out / "staff" / "manifest.json", manifest)
    stale = sorted(p.name for p in (out / "students").iterdir() if p.is_dir() and p.name not in set(ids))
    if stale:
        warnings.append(f"students/ holds folders of {len(stale)} student(s) not on the roster "
                        f"(from an earlier build?): {', '.join(stale[:5])}{' ...' if len(stale) > 5 else ''}")
    return BuildResult(out, len(ids), problems, pdf_state, warnings)


def _problem_summary(item: ExamProblem, got: dict, students: int) -> dict:
    return {"index": item.index + 1, "problem": item.id, "points": got["entries"][0]["points"],
            "params": item.params, "require": item.require,
            "variants": got["distinct"], "students": students}
