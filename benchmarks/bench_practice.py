"""`grader practice` (SPEC §10): the median "read as" preview round trip over HTTP for typical
expressions (budget 50 ms) and the median exercise page load (budget 300 ms), each printed beside
a baseline measured in the same run: the same preview called in-process, an HTTP round trip
that does no work (a static asset), and `grader new --format html` (a new variant) in-process."""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request

RUNS = 40
# Typical answers, each a new string (nothing is served from a cache): part, answer template.
PREVIEWS = [
    ("mlp-backprop", "dL_dd", "{k}*(y_pred - y_true)"),
    ("mlp-backprop", "dsigma", "s*(1 - s) + {k}*0"),
    ("mlp-backprop", "dL_db_i", "2*(y_pred - y_true)*C_i*sigma'(z_i) + {k}*x"),
    ("batchnorm-forward", "mean", r"\frac{{-5}}{{{k}}}"),
    ("beam-search", "complexity", "O(T k M log M + {k})"),
    ("ridge-regression", "closed_form", "(A^T A + lambda I)^(-1) A^T b + {k} * A^T b"),
]
PAGES = ["batchnorm-forward", "beam-search", "ridge-regression", "mlp-backprop", "gnn-message-passing"]


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    os.environ.setdefault("GRADER_DATA_DIR", tempfile.mkdtemp(prefix="grader-bench-"))
    from grader import registry
    from grader.render import render
    from grader.web import practice
    from grader.web.app import create_app
    from grader.web.server import PracticeServer, new_token

    token = new_token()
    with PracticeServer(create_app(token), token) as server:
        def post(path: str, body: dict) -> dict:
            request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as r:
                return json.loads(r.read())

        def get(path: str) -> bytes:
            with urllib.request.urlopen(server.url + path, timeout=30) as r:
                return r.read()

        seeds = {pid: 1 for pid, _, _ in PREVIEWS}
        for pid in set(seeds) | set(PAGES):  # variants made once, as a student's first page load does
            get(f"p/{pid}?seed=1")

        http, direct, noop = [], [], []
        for i in range(RUNS):
            for pid, part, template in PREVIEWS:
                answer = template.format(k=i + 2)
                start = time.perf_counter()
                reply = post("api/preview", {"problem": pid, "seed": 1, "part": part, "answer": answer})
                http.append(time.perf_counter() - start)
                assert "error" not in reply, (answer, reply)
                part_type = practice.variant(pid, 1).part(part).type
                start = time.perf_counter()
                practice.preview_view(practice.preview(part_type, answer + " + 0"))
                direct.append(time.perf_counter() - start)
            start = time.perf_counter()
            get("static/practice.js")
            noop.append(time.perf_counter() - start)

        pages, documents = [], []
        for i in range(RUNS // 4):
            for pid in PAGES:
                seed = 100 + i
                start = time.perf_counter()
                get(f"p/{pid}?seed={seed}")
                pages.append(time.perf_counter() - start)
                start = time.perf_counter()
                render(registry.get(pid).instance(seed + 1000, {}), "html")
                documents.append(time.perf_counter() - start)

    print(f"practice preview round trip, median of {len(http)} distinct typical answers: "
          f"{ms(http):.1f} ms (budget 50 ms)")
    print(f"  baseline: the same preview in-process, no HTTP: {ms(direct):.1f} ms; "
          f"an HTTP round trip doing no work: {ms(noop):.1f} ms")
    print(f"practice exercise page load (new variant), median of {len(pages)}: {ms(pages):.1f} ms (budget 300 ms)")
    print(f"  baseline: grader new --format html (a new variant, rendered) in-process: {ms(documents):.1f} ms")
    ok = ms(http) < 50 and ms(pages) < 300
    print("within budget" if ok else "OVER BUDGET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
