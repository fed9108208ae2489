"""A stand-in for the ERP's receiving end, for demos (`manage.py fake_erp`) and tests.

It does what the http transmission expects of the real ERP: it refuses a request whose signature
does not match or whose timestamp is stale (401), refuses a document that does not follow the
schema (422), and keeps one document per Idempotency-Key: the same key gets the same reference
again. It can be told to fail the next N requests with a given status, or to answer slowly:

    POST /_control  {"fail_next": 2, "status": 500, "delay": 2.5}
    GET  /_control  → its state and the documents it holds

It listens on loopback only and keeps everything in memory.
"""

import hmac
import ipaddress
import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from backoffice.erp.payload import load_schema
from backoffice.erp.transports import sign

CONTROL_PATH = "/_control"
MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_SKEW = 300  # seconds a timestamp may differ from the stand-in's clock


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StandInErp:
    """The stand-in ERP. `start()` serves in a background thread (tests); `serve_forever()` in
    the calling one (the management command). `receive()` is the whole protocol, without HTTP."""

    def __init__(
        self,
        *,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        max_skew: int = DEFAULT_MAX_SKEW,
        fail_next: int = 0,
        fail_status: int = 500,
        delay: float = 0.0,
        log=None,
    ):
        if not is_loopback(host):
            raise ValueError(f"The stand-in ERP listens on loopback only, not on {host!r}.")
        if not secret:
            raise ValueError("The stand-in ERP needs the shared secret (ERP_SECRET).")
        self.secret = secret
        self.max_skew = max_skew
        self.fail_next = fail_next
        self.fail_status = fail_status
        self.delay = delay
        self.log = log
        self.documents: dict[str, dict] = {}  # idempotency key → {"reference", "payload"}
        self.requests: list[str] = []  # the Idempotency-Key of every document, as it arrives
        self.answers: list[tuple[str, int]] = []  # (idempotency key, status), as answered
        self._sequence = 0
        self._lock = threading.Lock()
        self._validator = Draft202012Validator(load_schema(), format_checker=FormatChecker())
        handler = type("Handler", (_Handler,), {"erp": self})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self._thread = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/orders"

    @property
    def control_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{CONTROL_PATH}"

    # --- running ------------------------------------------------------------------------------

    def start(self) -> "StandInErp":
        # A short poll so that stop() returns at once (tests start and stop it often).
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # --- behaviour ----------------------------------------------------------------------------

    def control(self, *, fail_next=None, status=None, delay=None) -> dict:
        """Fail the next `fail_next` requests with `status`; answer every request after `delay`
        seconds (0 to stop)."""
        with self._lock:
            if fail_next is not None:
                self.fail_next = int(fail_next)
            if status is not None:
                self.fail_status = int(status)
            if delay is not None:
                self.delay = float(delay)
        return self.state()

    def state(self) -> dict:
        with self._lock:
            return {
                "fail_next": self.fail_next,
                "status": self.fail_status,
                "delay": self.delay,
                "requests": len(self.requests),
                "documents": {key: doc["reference"] for key, doc in self.documents.items()},
            }

    def requests_for(self, key: str) -> int:
        with self._lock:
            return self.requests.count(key)

    def receive(self, *, headers, body: bytes) -> tuple[int, dict]:
        """Answer one POSTed document: (status, JSON answer)."""
        key = headers.get("Idempotency-Key", "")
        with self._lock:
            self.requests.append(key)
        status, answer = self._answer(headers, body, key)
        with self._lock:
            self.answers.append((key, status))
        if self.log:
            self.log(f"{status} {key or '-'} {answer}")
        return status, answer

    def _answer(self, headers, body, key):
        problem = self._authentication_problem(headers, body)
        if problem:
            return HTTPStatus.UNAUTHORIZED, {"error": problem}
        if not key:
            return HTTPStatus.BAD_REQUEST, {"error": "Idempotency-Key header missing"}
        with self._lock:
            failing = self.fail_next > 0
            if failing:
                self.fail_next -= 1
            fail_status, delay = self.fail_status, self.delay
        if failing:
            time.sleep(delay)
            return fail_status, {"error": f"Simulated failure (HTTP {fail_status})"}
        try:
            document = json.loads(body)
        except ValueError:
            return HTTPStatus.BAD_REQUEST, {"error": "The body is not JSON"}
        error = best_match(self._validator.iter_errors(document))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path) or "document"
            return HTTPStatus.UNPROCESSABLE_ENTITY, {"error": f"{where}: {error.message}"}
        with self._lock:
            stored = self.documents.get(key)
            if stored is None:
                self._sequence += 1
                reference = f"ERP-{timezone.now().year}-{self._sequence:06}"
                self.documents[key] = {"reference": reference, "payload": document}
        # The document is stored before the (slow) answer: as with a real ERP, a client that
        # gives up waiting may have delivered it all the same.
        time.sleep(delay)
        if stored is not None:
            return HTTPStatus.OK, {"reference": stored["reference"], "duplicate": True}
        return HTTPStatus.CREATED, {"reference": reference, "duplicate": False}

    def _authentication_problem(self, headers, body) -> str:
        timestamp = headers.get("X-Timestamp", "")
        signature = headers.get("X-Signature", "")
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            return "X-Timestamp missing or not a number"
        if skew > self.max_skew:
            return "Stale timestamp"
        expected = "sha256=" + sign(secret=self.secret, timestamp=timestamp, body=body)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return "Bad signature"
        return ""


class _Handler(BaseHTTPRequestHandler):
    erp: StandInErp
    protocol_version = "HTTP/1.1"

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return None
        if not 0 <= length <= MAX_BODY_BYTES:
            return None
        return self.rfile.read(length)

    def _send_json(self, status: int, data: dict) -> None:
        encoded = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)
        except (BrokenPipeError, ConnectionResetError):
            # The client stopped waiting (its read timeout): as with a real ERP, too bad.
            self.close_connection = True

    def do_GET(self):  # noqa: N802 - the name http.server calls
        if self.path == CONTROL_PATH:
            self._send_json(HTTPStatus.OK, self.erp.state())
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "Not found"})

    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self._body()
        if body is None:
            self.close_connection = True
            self._send_json(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "Body missing or too big"}
            )
            return
        if self.path == CONTROL_PATH:
            try:
                changes = json.loads(body or b"{}")
                state = self.erp.control(
                    fail_next=changes.get("fail_next"),
                    status=changes.get("status"),
                    delay=changes.get("delay"),
                )
            except (ValueError, TypeError, AttributeError) as error:
                self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(error)})
                return
            self._send_json(HTTPStatus.OK, state)
            return
        status, answer = self.erp.receive(headers=self.headers, body=body)
        self._send_json(status, answer)

    def log_message(self, format, *args):  # noqa: A002 - the signature of http.server
        pass  # the stand-in logs through StandInErp.log, one line per document
