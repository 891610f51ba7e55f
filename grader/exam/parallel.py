"""Running one function over many items, in a process pool when asked, with a progress bar."""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence


def default_jobs() -> int:
    """The number of processes used when `--jobs` is not given: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (silent when stderr is not a terminal); yields `advance(n)`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False, disable=not console.is_terminal) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)


def _setup(course_dirs: Sequence[str], initializer: Callable | None, initargs: tuple) -> None:
    from grader.answers.sandbox import _die_with_parent
    from grader.registry import add_problem_dir

    _die_with_parent()  # a killed `exam grade` takes its workers (and theirs) with it

    for folder in course_dirs:
        add_problem_dir(folder)
    if initializer is not None:
        initializer(*initargs)


def _chunk(fn: Callable, items: list) -> list:
    return [fn(item) for item in items]


def run_all(fn: Callable[[Any], Any], items: Sequence[Any], *, jobs: int, description: str,
            initializer: Callable | None = None, initargs: tuple = (),
            on_crash: Callable[[Any, BaseException], Any] | None = None,
            on_result: Callable[[Any, Any], None] | None = None, chunk: int = 32) -> list:
    """`[fn(item) for item in items]`, in `jobs` processes when jobs > 1 (fn, the items and
    the initializer must then be picklable), with a progress bar. Results keep the items' order.
    Worker processes die with this one.

    With `on_crash`, a chunk whose worker died (or raised) is rerun item by item, each in a
    fresh process, and an item that fails again gets `on_crash(item, error)` as its result.
    `on_result(item, result)` is called in this process as soon as each result arrives (in
    chunks of at most `chunk` items), so finished work can be kept before the rest is done;
    results handed to `on_result` are not kept (the list returned is then empty), so memory
    does not grow with the items."""
    from grader.registry import course_dirs

    items = list(items)
    keep = on_result is None
    report = on_result or (lambda item, result: None)
    with progress_bar(description, len(items)) as advance:
        if jobs <= 1 or len(items) <= 1:
            if initializer is not None:
                initializer(*initargs)
            out = []
            for item in items:
                result = fn(item)
                report(item, result)
                if keep:
                    out.append(result)
                advance(1)
            return out
        from concurrent.futures import ProcessPoolExecutor, as_completed

        size = max(1, min(chunk, len(items) // (jobs * 8)))
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        results: list = [None] * len(chunks)
        dirs = tuple(str(d) for d in course_dirs())
        # forked workers share this process's memory until they write to it; the garbage
        # collector would write to every object it scans, so what exists now is left out of it
        gc.freeze()
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), initializer=_setup,
                                 initargs=(dirs, initializer, initargs)) as pool:
            futures = {pool.submit(_chunk, fn, chunk): i for i, chunk in enumerate(chunks)}
            failed = []
            for future in as_completed(futures):
                i = futures[future]
                try:
                    got = future.result()
                except Exception:
                    if on_crash is None:
                        raise
                    failed.append(i)
                    continue
                for item, result in zip(chunks[i], got):
                    report(item, result)
                results[i] = got if keep else []
                del got
                advance(len(chunks[i]))
        gc.unfreeze()
        for i in sorted(failed):
            got = [_isolated(fn, item, dirs, initializer, initargs, on_crash) for item in chunks[i]]
            for item, result in zip(chunks[i], got):
                report(item, result)
            results[i] = got if keep else []
            advance(len(chunks[i]))
        return [r for chunk in results for r in chunk]


def _isolated(fn, item, dirs, initializer, initargs, on_crash):
    from concurrent.futures import ProcessPoolExecutor

    try:
        with ProcessPoolExecutor(max_workers=1, initializer=_setup, initargs=(dirs, initializer, initargs)) as pool:
            return pool.submit(fn, item).result()
    except Exception as exc:
        return on_crash(item, exc)
