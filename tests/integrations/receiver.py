"""A real HTTP server on 127.0.0.1 for tests: it records every request and
answers with the statuses it is told (then 200), as a chat webhook, a generic
receiver or GitHub's REST API would."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Seen] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    # (method, path, body) → (status, JSON answer); None: the default answer.
    answer: Callable[[Seen], tuple[int, dict] | None] = lambda seen: None
    arrived: threading.Event = field(default_factory=threading.Event)


@contextmanager
def receiver() -> Iterator[Receiver]:
    box = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command, self.path, dict(self.headers), self.rfile.read(length)
            )
            box.requests.append(seen)
            box.arrived.set()
            given = box.answer(seen)
            if given is None:
                status = box.statuses.pop(0) if box.statuses else 200
                given = (status, {"ok": status < 300})
            status, document = given
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET = do_PATCH = _handle

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
