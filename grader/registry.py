"""The catalog: problems register themselves with `@register`; the bundled `grader.problems`
package and any course folders (`--problems-dir`, GRADER_PROBLEMS) are discovered, no list kept."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path

from grader.errors import GraderError, ProblemNotFound

_REGISTRY: dict[str, type] = {}
_COURSE_DIRS: list[Path] = []
_loaded = False


def register(cls):
    """Class decorator: add a Problem subclass to the catalog under its `id`."""
    if not cls.id:
        raise GraderError(f"{cls.__name__} has no id")
    existing = _REGISTRY.get(cls.id)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise GraderError(f"two problems share the id {cls.id!r}: {existing.__module__} and {cls.__module__}")
    _REGISTRY[cls.id] = cls
    return cls


def add_problem_dir(path: str | os.PathLike) -> None:
    """Add a course's folder of problem files (loaded with the bundled ones)."""
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise GraderError(f"problems folder {str(path)!r} does not exist")
    if folder not in _COURSE_DIRS:
        _COURSE_DIRS.append(folder)
        if _loaded:
            _load_folder(folder)


def course_dirs() -> list[Path]:
    return list(_COURSE_DIRS)


def load_file(path: str | os.PathLike) -> list[str]:
    """Import one problem file; return the ids it registered."""
    path = Path(path).resolve()
    if not path.is_file():
        raise GraderError(f"no problem file {str(path)!r}")
    before = set(_REGISTRY)
    digest = hashlib.sha256(str(path.parent).encode()).hexdigest()[:10]
    name = f"grader_course_{digest}.{path.stem}"
    if name in sys.modules:
        return [pid for pid, cls in _REGISTRY.items() if cls.__module__ == name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except GraderError:
        raise
    except Exception as exc:  # a course file with a bug: say which file
        del sys.modules[name]
        raise GraderError(f"{path}: could not load problem file: {type(exc).__name__}: {exc}") from exc
    return sorted(set(_REGISTRY) - before) or [pid for pid, cls in _REGISTRY.items() if cls.__module__ == name]


def _load_folder(folder: Path) -> None:
    for path in sorted(folder.glob("*.py")):
        if not path.name.startswith("_"):
            load_file(path)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    env = os.environ.get("GRADER_PROBLEMS")
    if env:
        for part in env.split(os.pathsep):
            if part:
                add_problem_dir(part)
    package = importlib.import_module("grader.problems")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"grader.problems.{info.name}")
    for folder in _COURSE_DIRS:
        _load_folder(folder)


def ids() -> list[str]:
    """Every registered problem id, sorted."""
    _load()
    return sorted(_REGISTRY)


def _load_one(problem_id: str) -> None:
    """Import only the bundled module named after `problem_id` (beam-search -> beam_search),
    when no course folder could also define it; anything else loads the whole catalog."""
    if _loaded or problem_id in _REGISTRY or _COURSE_DIRS or os.environ.get("GRADER_PROBLEMS"):
        return
    name = problem_id.replace("-", "_")
    if not name.isidentifier() or name.startswith("_"):
        return
    module = f"grader.problems.{name}"
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        importlib.import_module(module)


def get(problem_id: str):
    """The problem registered as `problem_id` (an instance of its class)."""
    _load_one(problem_id)
    if problem_id in _REGISTRY:
        return _REGISTRY[problem_id]()
    _load()
    if problem_id not in _REGISTRY:
        raise ProblemNotFound(problem_id, sorted(_REGISTRY))
    return _REGISTRY[problem_id]()
