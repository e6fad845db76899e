"""A real HTTP server on loopback that speaks LibreTranslate's API, for testing the client end to end.

    with LibreTranslateServer(api_keys={"k1"}) as server:
        server.fail_next(429, 500, STALL)   # the next /translate calls answer these (200: translate; STALL: too late)
        ... LibreTranslate(server.url, "k1") ...
        server.translate_calls              # every POST /translate body, in order

Endpoints and error shapes follow LibreTranslate's app.py: GET /languages → [{code, name, targets}];
POST /translate (JSON or form) with q (a string or a list), source, target, format, api_key →
{"translatedText": …}; errors are {"error": …} with 400 (bad request, batch limit, unsupported
language, key missing), 403 (invalid API key), 429 ("Slowdown: …") and 500 ("Cannot translate text: …").
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

LANGUAGES = {"en": "English", "ar": "Arabic", "fa": "Persian", "ru": "Russian"}
STALL = 0  # a "failure" that answers correctly but only after `stall_seconds`, to make a client time out


def fake_translation(text: str, source: str, target: str) -> str:
    """What this server 'translates' to: visibly not the original, and computable by the tests."""
    return f"[{source}→{target}] " + " ".join(reversed(text.split()))


class LibreTranslateServer:
    def __init__(self, languages: dict[str, str] = LANGUAGES, api_keys: set[str] | None = None, batch_limit: int = -1):
        self.languages = languages
        self.api_keys = api_keys
        self.batch_limit = batch_limit
        self.stall_seconds = 1.0
        self.translate_calls: list[dict] = []
        self.statuses: list[int] = []  # status of every /translate answer, in order
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self._failures.extend(statuses)

    def __enter__(self) -> "LibreTranslateServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def languages_answer(self) -> tuple[int, object]:
        return 200, [{"code": code, "name": name, "targets": sorted(set(self.languages) - {code})} for code, name in self.languages.items()]

    def translate_answer(self, body: dict) -> tuple[int, object]:
        with self._lock:
            self.translate_calls.append(body)
            failure = self._failures.pop(0) if self._failures else None
        if self.api_keys is not None:
            key = body.get("api_key")
            if key and key not in self.api_keys:
                return 403, {"error": "Invalid API key"}
            if not key:
                return 400, {"error": "Please contact the server operator to get an API key"}
        if failure == STALL:
            time.sleep(self.stall_seconds)
        elif failure == 429:
            return 429, {"error": "Slowdown: 1 per 1 second"}
        elif failure not in (None, 200):
            return failure, {"error": "Cannot translate text: CUDA out of memory"}
        q, source, target = body.get("q"), body.get("source"), body.get("target")
        for name, value in (("q", q), ("source", source), ("target", target)):
            if not value:
                return 400, {"error": f"Invalid request: missing {name} parameter"}
        texts = q if isinstance(q, list) else [q]
        if isinstance(q, list) and self.batch_limit != -1 and len(q) > self.batch_limit:
            return 400, {"error": f"Invalid request: request ({len(q)}) exceeds text limit ({self.batch_limit})"}
        for code in (source, target):
            if code not in self.languages:
                return 400, {"error": f"{code} is not supported"}
        translated = [fake_translation(text, source, target) for text in texts]
        return 200, {"translatedText": translated if isinstance(q, list) else translated[0]}


def _handler(server: LibreTranslateServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            """Quiet: a test server's request log would only clutter the test output."""

        def do_GET(self) -> None:
            if self.path == "/languages":
                self._answer(*server.languages_answer())
            else:
                self._answer(404, {"error": "Not Found"})

        def do_POST(self) -> None:
            if self.path != "/translate":
                self._answer(404, {"error": "Not Found"})
                return
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                body = json.loads(raw)
            else:
                body = {key: values[-1] for key, values in parse_qs(raw).items()}
            status, answer = server.translate_answer(body)
            server.statuses.append(status)
            self._answer(status, answer, {"Retry-After": "0"} if status == 429 else {})

        def _answer(self, status: int, answer: object, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that timed out has gone
                self.wfile.write(payload)

    return Handler
