"""The Starlette app of `grader practice`: pages and a small JSON API under a per-run token.

Every URL starts with the token (`/<token>/...`); any other path is 403, so no other page or
local user can drive the app. Request bodies are capped (413). Handlers only translate HTTP to
the functions of grader.web.practice and back.
"""
from __future__ import annotations

import asyncio
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from grader import __version__, registry
from grader.errors import GraderError
from grader.progress import Progress
from grader.text import one_line
from grader.web import practice

MAX_BODY_BYTES = 64 * 1024
STATIC = {"practice.js": "text/javascript", "practice.css": "text/css"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


# Grading and previews run on one thread that lives as long as the process: the sandbox has one
# worker process per process, serving one answer at a time.
_GRADING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-grading")


class AsciiJSON(JSONResponse):
    """JSON with every non-ASCII character escaped, so any string (a lone surrogate typed by a
    student included) is sent as the browser will read it."""

    def render(self, content) -> bytes:
        return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: the token as the first path segment (403 otherwise) and a bounded body
    (413 past `max_body` bytes, whatever Content-Length claims)."""

    def __init__(self, app, token: str, max_body: int = MAX_BODY_BYTES):
        self.app, self.token, self.max_body = app, token, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        first = scope["path"].lstrip("/").split("/", 1)[0]
        if not hmac.compare_digest(first.encode(), self.token.encode()):
            return await _plain(send, 403, "Forbidden: open the address that `grader practice` printed.")
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return await _plain(send, 413, f"Request body too large (limit {self.max_body} bytes).")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                return await _plain(send, 413, f"Request body too large (limit {self.max_body} bytes).")
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def secured(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        await self.app(scope, replay, secured)


def create_app(token: str, problem_ids: list[str] | None = None, progress: Progress | None = None,
               max_body: int = MAX_BODY_BYTES):
    """The practice app for `problem_ids` (default: the whole catalog), recording attempts in
    `progress` (default: the user's progress database)."""
    from grader.render import environment

    ids = list(problem_ids) if problem_ids else registry.ids()
    store = progress or Progress()
    base = f"/{token}/"
    _GRADING.submit(practice.warm_up).result()

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        html = environment().get_template(f"web/{name}.html.j2").render(base=base, **context)
        return HTMLResponse(html, status_code=status)

    def error_page(status: int, message: str) -> HTMLResponse:
        return page("error", status, title="grader practice", message=one_line(message, 500))

    def problem_or_none(pid: str):
        return pid if pid in ids else None

    async def start(request: Request):
        summary, suggestions = await run_in_threadpool(lambda: (store.summary(), store.suggestions()))
        return page("start", title="Practice", catalog=practice.catalog_view(ids, summary, suggestions))

    async def exercise(request: Request):
        pid = problem_or_none(request.path_params["problem"])
        if pid is None:
            return error_page(404, f"unknown problem {request.path_params['problem']!r}")
        raw_seed = request.query_params.get("seed")
        if raw_seed is None:
            seed = await run_in_threadpool(store.last_seed, pid)
            if seed is None:
                from grader.rng import fresh_seed

                seed = fresh_seed()
            return RedirectResponse(f"{base}p/{pid}?seed={seed}", status_code=303)
        if not raw_seed.isdigit() or int(raw_seed) > practice.MAX_SEED:
            return error_page(400, f"seed must be a whole number from 0 to {practice.MAX_SEED}")
        seed = int(raw_seed)

        def build():
            inst = practice.variant(pid, seed)
            return inst, practice.exercise_view(inst, store.attempts(pid, seed))

        try:
            inst, view = await run_in_threadpool(build)
        except GraderError as exc:
            return error_page(400, str(exc))
        html = environment().get_template("web/exercise.html.j2").render(
            base=base, problems=[view], title=inst.problem.title, subtitle=f"Variant: seed {seed}",
            instructions="", solution=False, version=__version__, view=view,
            next_seed=practice.next_seed(seed))
        return HTMLResponse(html)

    async def read_json(request: Request) -> dict:
        try:
            data = json.loads(await request.body())
        except (ValueError, RecursionError):
            raise GraderError("the request is not valid JSON") from None
        if not isinstance(data, dict):
            raise GraderError("the request must be a JSON object")
        pid = data.get("problem")
        if not isinstance(pid, str) or problem_or_none(pid) is None:
            raise GraderError(f"unknown problem {pid!r}")
        seed = data.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= practice.MAX_SEED:
            raise GraderError("seed must be a whole number")
        return data

    def api(handler):
        async def endpoint(request: Request):
            try:
                data = await read_json(request)
                return AsciiJSON(await asyncio.get_running_loop().run_in_executor(_GRADING, handler, data))
            except GraderError as exc:
                return AsciiJSON({"error": one_line(str(exc), 500)}, status_code=400)
        return endpoint

    def do_preview(data: dict) -> dict:
        inst = practice.variant(data["problem"], data["seed"])
        part_id = data.get("part")
        if not isinstance(part_id, str) or part_id not in inst.part_ids:
            raise GraderError(f"unknown part {part_id!r}")
        return practice.preview_view(practice.preview(inst.part(part_id).type, data.get("answer")))

    def do_check(data: dict) -> dict:
        inst = practice.variant(data["problem"], data["seed"])
        answers = data.get("answers")
        if not isinstance(answers, dict):
            raise GraderError("answers must be an object mapping part ids to answers")
        result = practice.submit(inst, answers)
        try:
            store.record(result, answers)
            result["attempts"] = len(store.attempts(inst.problem.id, inst.seed))
        except GraderError as exc:  # graded all the same; the page keeps the answers
            result["warning"] = f"This attempt was graded but not saved: {one_line(str(exc), 300)}"
        return result

    def do_solution(data: dict) -> dict:
        return {"parts": practice.solution_view(practice.variant(data["problem"], data["seed"]))}

    async def static(request: Request):
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404)
        from grader.render import bundled_templates

        return Response((Path(bundled_templates()) / "web" / name).read_bytes(), media_type=STATIC[name])

    routes = [Mount(base.rstrip("/"), routes=[
        Route("/", start),
        Route("/p/{problem}", exercise),
        Route("/api/preview", api(do_preview), methods=["POST"]),
        Route("/api/check", api(do_check), methods=["POST"]),
        Route("/api/solution", api(do_solution), methods=["POST"]),
        Route("/static/{name}", static),
    ])]
    return Guard(Starlette(routes=routes), token, max_body)
