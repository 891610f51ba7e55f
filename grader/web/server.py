"""Serving the practice app on 127.0.0.1 with uvicorn: bound before it starts (so a busy port is
a one-line error), in the foreground for the command or in a thread for tests and benchmarks."""
from __future__ import annotations

import secrets
import socket
import threading
import time

from grader.errors import GraderError

HOST = "127.0.0.1"


def new_token() -> str:
    """A per-run random token for the URL."""
    return secrets.token_urlsafe(18)


class PracticeServer:
    """The app listening on 127.0.0.1:`port` (0: a free port)."""

    def __init__(self, app, token: str, port: int = 0):
        import uvicorn

        self.token = token
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((HOST, port))
            self.sock.listen(64)
        except OSError as exc:
            self.sock.close()
            raise GraderError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=3)
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/{self.token}/"

    def serve(self) -> None:
        """Serve in the foreground until interrupted (Ctrl-C)."""
        self._run()

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def start(self, timeout: float = 10.0) -> "PracticeServer":
        """Serve in a background thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self._run, name="grader-practice", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise GraderError("the practice server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> "PracticeServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
