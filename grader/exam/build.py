"""`grader exam build`: one variant per student and problem, the students' bundles and the
staff's key, manifest and solutions. The same inputs give byte-identical files (PDFs aside)."""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from grader import __version__, registry
from grader.exam.files import sha256, write_atomic, write_json
from grader.exam.points import exact, split, to_cents, value
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
    """What a worker needs to draw and write one student's exam."""

    title: str
    exam_id: str
    instructions: str
    out: str
    pdf: bool
    problems: tuple[ExamProblem, ...]
    secret: bytes = field(repr=False)
    paper: bool = False


def part_points(instance, item: ExamProblem) -> tuple[Fraction, list[Fraction]]:
    """The problem's points and each part's, to 2 decimals, adding up exactly: parts named in
    `part_points` get theirs, the others share the rest evenly (without `part_points`, the
    problem's points are shared in proportion to the parts' own points)."""
    named = {k: to_cents(v) for k, v in item.part_points.items()}
    others = [part for part in instance.parts if part.id not in named]
    natural = [exact(part.points) for part in others]
    total = to_cents(item.points if item.points is not None else sum(named.values()) + sum(natural))
    if not named:
        return total, split(total, natural)
    shares = iter(split(total - sum(named.values()), [1] * len(others)))
    return total, [named[part.id] if part.id in named else next(shares) for part in instance.parts]


def key_entry(instance, item: ExamProblem) -> dict:
    """One problem of one student in staff/key.json; part points sum to the problem's points."""
    total, shares = part_points(instance, item)
    return {"problem": instance.problem.id, "seed": instance.seed, "params": instance.params,
            "points": value(total),
            "parts": [{"id": part.id, "type": part.type.name, "answer": instance.answer(part.id), "points": value(pts)}
                      for part, pts in zip(instance.parts, shares)]}


def draw(job: _Job, item: ExamProblem, student_id: str, start: int):
    """(attempt, instance) for the first attempt from `start` on whose HMAC seed gives a
    variant meeting the problem's `require`, with the exam's parts of the problem (in any
    order); None when no attempt left does."""
    problem = registry.get(item.id)
    for attempt in range(start, MAX_REDRAWS):
        instance = variant(problem, item, exam_seed(job.secret, job.exam_id, student_id, item.index, attempt))
        if instance is not None and (not item.part_ids or sorted(instance.part_ids) == sorted(item.part_ids)):
            return attempt, instance
    return None


def _view(instance, entry: dict) -> dict:
    """The problem view with solutions, its points those of the key."""
    from grader.render import problem_view

    view = problem_view(instance, True, points=entry["points"])
    for part_view, part in zip(view["parts"], entry["parts"]):
        part_view["points"] = part["points"]
    view["points"] = entry["points"]
    return view


def student_view(view: dict) -> dict:
    """A problem view without its seed, answers or solutions."""
    hidden = ("answer", "answer_text", "solution")
    return dict(view, seed=None, parts=[{k: v for k, v in part.items() if k not in hidden} for part in view["parts"]])


def make_student(task: tuple) -> dict:
    """Draw one student's variants (problem i from attempt `starts[i]` on) and write the exam
    (md, tex, html), the answers skeleton and the solutions. Returns the attempts used, the
    variants' fingerprints, the key entries, the SHA-256 of each file written and, when PDFs
    are wanted, the LaTeX bodies to compile with the class (grader.exam.paper.write_pdfs)."""
    from grader.exam.files import dump_json
    from grader.render import render_document

    student, job, starts = task
    attempts, fingerprints, entries, views, instances = [], [], [], [], []
    for item, start in zip(job.problems, starts):
        found = draw(job, item, student.id, start)
        if found is None:
            raise unsatisfiable(item, MAX_REDRAWS)
        attempt, instance = found
        entry = key_entry(instance, item)
        attempts.append(attempt)
        fingerprints.append(instance.fingerprint())
        entries.append(entry)
        views.append(_view(instance, entry))
        instances.append(instance)
    out = Path(job.out)
    public = [student_view(v) for v in views]
    who = f"{student.name} ({student.id})" if student.name else student.id
    meta = {"title": job.title, "subtitle": f"{job.exam_id} · {who}", "instructions": job.instructions}
    folder = f"students/{student.id}"
    files = {f"{folder}/exam.{fmt}": render_document(public, fmt, solution=False, **meta)
             for fmt in ("md", "tex", "html")}
    skeleton = {"student": student.id, "exam": job.exam_id,
                "problems": [{"problem": e["problem"], "answers": {p["id"]: None for p in e["parts"]}}
                             for e in entries]}
    files[f"{folder}/answers.json"] = dump_json(skeleton)
    solutions = dict(meta, subtitle=f"{meta['subtitle']} · solutions")
    files[f"staff/solutions/{student.id}.md"] = render_document(views, "md", solution=True, **solutions)
    hashes = {rel: write_atomic(out / rel, text) for rel, text in files.items()}
    bodies = {}
    if job.pdf:
        from grader.render import tex_body

        bodies = {"exam": tex_body(public, solution=False, **meta), "solutions": tex_body(views, solution=True, **solutions)}
        if job.paper:
            from grader.exam import paper

            bodies["paper"] = paper.paper_body(instances, public, job)
    return {"attempts": attempts, "fingerprints": fingerprints, "entries": entries, "hashes": hashes,
            "tex": bodies}


def distinct_variants(job: _Job, ordered: list[Student], made: list[dict]) -> tuple[set[int], list[dict]]:
    """Walk the students in id order; where a student's variant of a problem repeats an earlier
    student's, redraw it (next attempts) until it is new, or, when the problem has run out of
    distinct variants, keep the first one drawn. Returns the students to write again (their
    `made[k]["attempts"]` updated) and, per problem, the number of distinct variants and the
    student from whom on variants are shared."""
    seen: list[set[str]] = [set() for _ in job.problems]
    shared_from: list[str | None] = [None] * len(job.problems)
    redo: set[int] = set()
    for k, student in enumerate(ordered):
        for i, item in enumerate(job.problems):
            fingerprint = made[k]["fingerprints"][i]
            if fingerprint in seen[i] and shared_from[i] is None:
                start = made[k]["attempts"][i] + 1
                while (found := draw(job, item, student.id, start)) is not None:
                    start = found[0] + 1
                    if found[1].fingerprint() not in seen[i]:
                        made[k]["attempts"][i] = found[0]
                        fingerprint = made[k]["fingerprints"][i] = found[1].fingerprint()
                        redo.add(k)
                        break
                else:
                    shared_from[i] = student.id
            seen[i].add(fingerprint)
    return redo, [{"distinct": len(s), "shared_from": f} for s, f in zip(seen, shared_from)]


def secret_id(secret: bytes) -> str:
    """A name for the secret that does not reveal it (to tell two builds' secrets apart)."""
    return hmac.new(secret, b"grader exam secret id", "sha256").hexdigest()[:16]


def build_exam(spec: ExamSpec, spec_name: str, students: list[Student], roster: bytes, roster_name: str,
               secret: bytes, out: Path, *, jobs: int = 1, pdf: bool | None = None,
               paper: bool = False) -> BuildResult:
    """Build the exam into `out`. `pdf`: True or None compiles PDFs when a TeX engine is
    installed (True insists), False never. `paper`: the PDFs are paper exams (SPEC §5.1)."""
    from grader.exam.parallel import run_all
    from grader.pdf import tex_engine

    out = Path(out)
    ordered = sorted(students, key=lambda s: s.id)
    warnings = []
    if paper and tex_engine() is None:
        from grader.pdf import PdfError

        raise PdfError("--paper needs XeLaTeX (xelatex) on PATH")
    if pdf is False and not paper:
        pdf_state, compile_pdfs = "not requested", False
    elif tex_engine() is None:
        pdf_state, compile_pdfs = "no TeX engine installed: no PDFs", False
        if pdf:
            warnings.append("--pdf was given but xelatex is not on PATH")
    else:
        pdf_state, compile_pdfs = "compiled", True
    job = _Job(spec.title, spec.id, spec.instructions or DEFAULT_INSTRUCTIONS, str(out), compile_pdfs,
               spec.problems, secret, paper)
    made = run_all(make_student, [(s, job, [0] * len(spec.problems)) for s in ordered],
                   jobs=jobs, description="building exams")
    redo, counts = distinct_variants(job, ordered, made)
    if redo:
        again = run_all(make_student, [(ordered[k], job, made[k]["attempts"]) for k in sorted(redo)],
                        jobs=jobs, description="redrawing repeated variants")
        for k, result in zip(sorted(redo), again):
            made[k] = result
    problems = []
    for i, item in enumerate(spec.problems):
        problems.append({"index": item.index + 1, "problem": item.id, "points": made[0]["entries"][i]["points"],
                         "parts": {p["id"]: p["points"] for p in made[0]["entries"][i]["parts"]},
                         "params": item.params, "require": item.require,
                         "variants": counts[i]["distinct"], "students": len(ordered)})
        if counts[i]["shared_from"] is not None:
            warnings.append(f"{item.label}: only {counts[i]['distinct']} distinct variants for {len(ordered)} "
                            f"students (from student {counts[i]['shared_from']} on, some share a variant)")
    failures = []
    if compile_pdfs:
        from grader.exam.paper import write_pdfs

        by_id = {s.id: m for s, m in zip(ordered, made)}
        failures = write_pdfs(out, job, students, [by_id[s.id]["tex"] for s in students], jobs=jobs)
    if failures:
        pdf_state = f"{len(failures)} PDF(s) failed"
        warnings.append(f"LaTeX failed for {len(failures)} document(s); first: {failures[0]}")
    key = {"exam": spec.id, "students": {s.id: m["entries"] for s, m in zip(ordered, made)}}
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
        "students": {s.id: {**s.fields(), "variants": m["fingerprints"], "files": m["hashes"]}
                     for s, m in zip(ordered, made)},
    }
    write_json(out / "staff" / "manifest.json", manifest)
    ids = {s.id for s in ordered}
    stale = sorted(p.name for p in (out / "students").iterdir() if p.is_dir() and p.name not in ids)
    if stale:
        warnings.append(f"students/ holds folders of {len(stale)} student(s) not on the roster "
                        f"(from an earlier build?): {', '.join(stale[:5])}{' ...' if len(stale) > 5 else ''}")
    return BuildResult(out, len(ordered), problems, pdf_state, warnings)
