"""A scripted OpenAI-compatible chat server on loopback, for the LLM answerer's tests.

The LLM is the one part that cannot run here, so it is faked at the protocol
boundary: a real HTTP server speaking the Chat Completions wire format (JSON and
SSE streaming), reached by the real ``openai`` client through ``ChatOpenAI``.

Each request takes the next behaviour from a queue the test scripts::

    {"text": "…[¶3]。", "stream_chunks": 5}   # a good answer, split into 5 deltas
    {"status": 401} / {"status": 429} / {"status": 500}
    {"sleep": 5}                               # answer nothing for 5 s (client timeout)
    {"sleep": 1, "text": "…"}                  # a slow but complete answer
    {"text": "…", "malformed": True}           # invalid JSON in an SSE data line mid-stream
    {"text": "…", "cutoff": True}              # stream ends with no finish_reason, no [DONE]
    {"text": "…", "cutoff": "abrupt"}          # connection dropped mid-chunk
    {"drop": True}                             # connection closed before any response
    {"text": "…", "finish_reason": "length"}
    {"text": "…", "chunk_delay": 0.1}          # seconds between streamed deltas

An unscripted request gets HTTP 500 with a message saying so, and is recorded
like every other request, so a test that counts requests sees it.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Behaviour = dict[str, Any]

# What the tests configure: a recognisable secret that must never be echoed back.
API_KEY = "sk-test-SECRET-123"
MODEL = "fake-model"


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any] | None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages") or [])

    def message(self, role: str) -> str:
        """Content of the first message with ``role`` ('' if none)."""
        return next((str(m.get("content", "")) for m in self.messages if m.get("role") == role), "")


@dataclass
class FakeOpenAI:
    """The server's state: the script, the recorded requests and the socket."""

    model: str = MODEL
    script: deque[Behaviour] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- control ---------------------------------------------------------
    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the server first"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.requests.clear()

    def push(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self.script.extend(behaviours)

    def next_behaviour(self) -> Behaviour | None:
        with self._lock:
            return self.script.popleft() if self.script else None

    def record(self, req: Recorded) -> None:
        with self._lock:
            self.requests.append(req)

    @property
    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a sleeping handler must not hold up stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts) or drop pooled connections are part of the script.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def split_text(text: str, parts: int) -> list[str]:
    """``text`` in ``parts`` nearly equal pieces (fewer if the text is shorter)."""
    parts = max(1, min(parts, len(text)))
    size, extra = divmod(len(text), parts)
    out, at = [], 0
    for i in range(parts):
        step = size + (1 if i < extra else 0)
        out.append(text[at : at + step])
        at += step
    return [p for p in out if p]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI  # set by FakeOpenAI.start()
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    # ---- plumbing ----------------------------------------------------------
    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None):
        self._send_json(
            status, {"error": {"message": message, "type": kind, "code": None}}, headers
        )

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _sse(self, payload: str) -> None:
        self._write_chunk(f"data: {payload}\n\n".encode())

    def _drop(self) -> None:
        """Close the TCP connection at once (RST), as a crashed upstream does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- routes --------------------------------------------------------------
    def do_GET(self) -> None:
        self.fake.record(Recorded("GET", self.path, self._headers(), None))
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": self.fake.model, "object": "model", "owned_by": "tests"}],
                },
            )
        else:
            self._error(404, f"unknown route {self.path}", "invalid_request_error")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = None
        self.fake.record(Recorded("POST", self.path, self._headers(), body))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, f"unknown route {self.path}", "invalid_request_error")
            return
        if not isinstance(body, dict):
            self._error(400, "invalid JSON body", "invalid_request_error")
            return
        how = self.fake.next_behaviour()
        if how is None:
            self._error(500, "fake server: no scripted reply left for this request", "server_error")
            return
        self._answer(body, how)

    def _answer(self, body: dict[str, Any], how: Behaviour) -> None:
        if how.get("sleep"):
            self.fake.pause(float(how["sleep"]))
            if "text" not in how:  # a pure stall: the client has given up by now
                self._drop()
                return
        if how.get("drop"):
            self._drop()
            return
        status = int(how.get("status", 200))
        if status != 200:
            # Like a careless upstream, echo the credentials it got: the client must not repeat them.
            auth = self.headers.get("Authorization", "")
            headers = {"Retry-After": "0"} if status == 429 else None
            self._error(status, f"fake status {status} for {auth}", "api_error", headers)
            return
        text = str(how.get("text", ""))
        finish = how.get("finish_reason", "stop")
        if body.get("stream"):
            self._stream(body, how, text, finish)
            return
        self._send_json(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.fake.model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            },
        )

    def _stream(self, body: dict[str, Any], how: Behaviour, text: str, finish: str) -> None:
        model = self.fake.model
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = split_text(text, int(how.get("stream_chunks", 4))) if text else []
        cutoff = how.get("cutoff")
        if cutoff:
            pieces = pieces[: max(1, len(pieces) // 2)]
        self._sse(json.dumps(_chunk(model, {"role": "assistant", "content": ""}, None)))
        for i, piece in enumerate(pieces):
            if how.get("malformed") and i == len(pieces) // 2:
                self._sse('{"id": "chatcmpl-fake", "choices": [{"delta": {"content": "坏')
            self._sse(json.dumps(_chunk(model, {"content": piece}, None), ensure_ascii=False))
            if how.get("chunk_delay"):
                self.fake.pause(float(how["chunk_delay"]))
        if cutoff == "abrupt":
            # Promise a chunk, send half of it, vanish: a broken upstream connection.
            self.wfile.write(b'40\r\ndata: {"id"')
            self.wfile.flush()
            self._drop()
            return
        if not cutoff:
            self._sse(json.dumps(_chunk(model, {}, finish)))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {"prompt_tokens": 10, "completion_tokens": len(pieces), "total_tokens": 0}
                self._sse(json.dumps({**_chunk(model, {}, None), "choices": [], "usage": usage}))
            self._sse("[DONE]")
        self._write_chunk(b"")  # the terminating zero-length chunk
