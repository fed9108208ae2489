"""The two ways a document reaches the ERP, chosen by the ERP_TRANSMISSION setting.

A transport makes one attempt and says how it went (a `Delivery`): delivered (with the ERP's
reference), an error worth retrying, or a rejection that no retry will change. It never raises
for what the network or the disk does; the delivery service decides about retries.
"""

import hashlib
import hmac
import http.client
import json
import os
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from backoffice.models import TransmissionAttempt

Outcome = TransmissionAttempt.Outcome

FILE = "file"
HTTP = "http"
TRANSPORTS = (FILE, HTTP)

# Answers that may go differently if asked again later (HTTP semantics, plus 429 throttling).
RETRYABLE_STATUSES = frozenset({408, 429})
MAX_ANSWER_BYTES = 64 * 1024
MAX_MESSAGE = 500


@dataclass(frozen=True)
class Delivery:
    """How one attempt went."""

    outcome: str  # Outcome.DELIVERED, Outcome.ERROR (retry) or Outcome.REJECTED (do not retry)
    message: str = ""
    http_status: int | None = None
    erp_reference: str = ""


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>" with the shared secret, as lowercase hex. The
    timestamp is inside the signature so an old request cannot be replayed as a fresh one."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: str, body: bytes) -> str:
    return f"sha256={sign(secret=secret, timestamp=timestamp, body=body)}"


class FileTransport:
    """Writes the document into the folder the ERP imports from.

    Atomically: the bytes go to a hidden temporary file in the same folder (same file system),
    are flushed to disk, and only then renamed to the final name, so the importer sees either no
    file or the whole file. The name depends only on the order's protocol and revision, so a
    repeated delivery replaces the file with the same content instead of adding a second one.
    Importers must ignore names starting with a dot.
    """

    name = FILE

    def __init__(self, directory):
        self.directory = Path(directory)

    def send(self, *, idempotency_key: str, body: bytes, document_name: str) -> Delivery:
        target = self.directory / f"{document_name}.json"
        temporary = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(
                dir=self.directory, prefix=f".{document_name}.", suffix=".tmp"
            )
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
            temporary = None
            self._sync_directory()
        except OSError as error:
            return Delivery(
                Outcome.ERROR,
                message=_("Cannot write %(file)s: %(error)s")
                % {"file": target, "error": error.strerror or error},
            )
        finally:
            if temporary is not None:
                with suppress(OSError):
                    os.unlink(temporary)
        return Delivery(
            Outcome.DELIVERED,
            message=_("Written to %(file)s") % {"file": target},
            erp_reference=target.name,
        )

    def _sync_directory(self):
        # The rename itself must survive a power cut: flush the folder's entry too (POSIX).
        if hasattr(os, "O_DIRECTORY"):
            descriptor = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


class HttpTransport:
    """POSTs the document to the ERP's URL, signed, with separate connect and read timeouts.

    Headers: Idempotency-Key (the same for every attempt of one revision), X-Timestamp (Unix
    seconds) and X-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>" with the secret>.
    2xx: delivered, the reference read from the JSON answer ("reference"). 408, 429, 5xx,
    timeouts and connection errors: retry. Any other answer: rejected, with the ERP's message.
    """

    name = HTTP

    def __init__(self, *, url: str, secret: str, connect_timeout: float, read_timeout: float):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(f"ERP_URL is not an http(s) URL: {url!r}")
        self.url = url
        self.parts = parts
        self.secret = secret
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def _connection(self):
        if self.parts.scheme == "https":
            return http.client.HTTPSConnection(
                self.parts.hostname, self.parts.port, timeout=self.connect_timeout
            )
        return http.client.HTTPConnection(
            self.parts.hostname, self.parts.port, timeout=self.connect_timeout
        )

    def send(self, *, idempotency_key: str, body: bytes, document_name: str) -> Delivery:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": idempotency_key,
            "X-Timestamp": timestamp,
            "X-Signature": signature_header(secret=self.secret, timestamp=timestamp, body=body),
        }
        path = self.parts.path or "/"
        if self.parts.query:
            path = f"{path}?{self.parts.query}"
        connection = self._connection()
        stage = "connect"
        try:
            connection.connect()
            # The connect timeout covered opening (and the TLS handshake); from here on the ERP
            # has the read timeout to answer.
            connection.sock.settimeout(self.read_timeout)
            stage = "answer"
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            status = response.status
            answer = response.read(MAX_ANSWER_BYTES)
        except TimeoutError:
            if stage == "connect":
                message = _("No connection to the ERP within %(seconds)s s.")
                seconds = self.connect_timeout
            else:
                message = _("The ERP did not answer within %(seconds)s s.")
                seconds = self.read_timeout
            return Delivery(Outcome.ERROR, message=message % {"seconds": seconds})
        except (OSError, http.client.HTTPException) as error:
            return Delivery(
                Outcome.ERROR,
                message=_("Connection to the ERP failed: %(error)s") % {"error": error},
            )
        finally:
            connection.close()
        return self.interpret(status, answer)

    @staticmethod
    def interpret(status: int, answer: bytes) -> Delivery:
        data = _json_object(answer)
        if 200 <= status < 300:
            reference = str(data.get("reference") or "")[:100]
            message = "" if reference else _("The ERP accepted the document without a reference.")
            return Delivery(
                Outcome.DELIVERED, message=message, http_status=status, erp_reference=reference
            )
        erp_message = (
            str(data.get("error") or data.get("message") or data.get("detail") or "")
            or answer.decode("utf-8", "replace").strip()
        )
        message = f"HTTP {status}: {erp_message}"[:MAX_MESSAGE] if erp_message else f"HTTP {status}"
        if status in RETRYABLE_STATUSES or 500 <= status < 600:
            return Delivery(Outcome.ERROR, message=message, http_status=status)
        return Delivery(Outcome.REJECTED, message=message, http_status=status)


def _json_object(answer: bytes) -> dict:
    try:
        data = json.loads(answer or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def get_transport():
    """The transport the settings choose, read at each delivery (tests and a restart may
    change them)."""
    if settings.ERP_TRANSMISSION == FILE:
        return FileTransport(settings.ERP_EXPORT_DIR)
    if settings.ERP_TRANSMISSION == HTTP:
        return HttpTransport(
            url=settings.ERP_URL,
            secret=settings.ERP_SECRET,
            connect_timeout=settings.ERP_CONNECT_TIMEOUT,
            read_timeout=settings.ERP_READ_TIMEOUT,
        )
    raise ImproperlyConfigured(
        f"ERP_TRANSMISSION must be one of {', '.join(TRANSPORTS)}: {settings.ERP_TRANSMISSION!r}"
    )
