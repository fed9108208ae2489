"""The two ways a document reaches the ERP, chosen by the ERP_TRANSMISSION setting.

A transport makes one attempt and says how it went (a `Delivery`): delivered (with the ERP's
reference), an error worth retrying, or a rejection that no retry will change. It never raises
for what the network or the disk does; the delivery service decides about retries.
"""

import hashlib
import hmac
import json
import logging
import os
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from backoffice.models import TransmissionAttempt

Outcome = TransmissionAttempt.Outcome

logger = logging.getLogger(__name__)


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

    def __init__(self, directory, file_mode: int = 0o644):
        self.directory = Path(directory)
        # mkstemp creates 0600 files: an importer running as another OS user could not read
        # them. The mode is a setting (ERP_EXPORT_FILE_MODE).
        self.file_mode = file_mode

    def send(self, *, idempotency_key: str, body: bytes, document_name: str) -> Delivery:
        target = self.directory / f"{document_name}.json"
        temporary = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(
                dir=self.directory, prefix=f".{document_name}.", suffix=".tmp"
            )
            os.fchmod(descriptor, self.file_mode)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
            temporary = None
            self._sync_directory()
        except OSError as error:
            # The server's paths are for its log, not for the users.
            logger.warning("ERP export: cannot write %s: %s", target, error)
            return Delivery(
                Outcome.ERROR,
                message=_("Cannot write the file %(file)s into the export folder: %(error)s")
                % {"file": target.name, "error": error.strerror or error},
            )
        finally:
            if temporary is not None:
                with suppress(OSError):
                    os.unlink(temporary)
        return Delivery(
            Outcome.DELIVERED,
            message=_("File %(file)s written into the export folder") % {"file": target.name},
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
    timeouts and connection errors: retry. Any other answer (a redirect too: it is not followed):
    rejected, with the ERP's message.

    The requests go through one httpx client per process (`shared_client`), so the connection to
    the ERP (and its TLS session) is kept and reused between deliveries. A transport is made at
    each delivery (`get_transport`); the client outlives it.
    """

    name = HTTP

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        connect_timeout: float,
        read_timeout: float,
        client: httpx.Client | None = None,
    ):
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as error:
            raise ImproperlyConfigured(f"ERP_URL is not an http(s) URL: {url!r}") from error
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ImproperlyConfigured(f"ERP_URL is not an http(s) URL: {url!r}")
        self.url = parsed
        self.secret = secret
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        # Opening the connection (TCP and the TLS handshake) and waiting for a free pooled one
        # have the connect timeout; sending the document and every wait for the answer's bytes,
        # the read timeout.
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self.client = client

    def send(self, *, idempotency_key: str, body: bytes, document_name: str) -> Delivery:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            # The answer is read up to MAX_ANSWER_BYTES: ask for it uncompressed, so that the
            # cap is on what the ERP sends.
            "Accept-Encoding": "identity",
            "Idempotency-Key": idempotency_key,
            "X-Timestamp": timestamp,
            "X-Signature": signature_header(secret=self.secret, timestamp=timestamp, body=body),
        }
        client = self.client or shared_client()
        try:
            with client.stream(
                "POST", self.url, content=body, headers=headers, timeout=self.timeout
            ) as response:
                status = response.status_code
                answer = _read_at_most(response, MAX_ANSWER_BYTES)
        except (httpx.ConnectTimeout, httpx.PoolTimeout):
            return Delivery(
                Outcome.ERROR,
                message=_("No connection to the ERP within %(seconds)s s.")
                % {"seconds": self.connect_timeout},
            )
        except httpx.TimeoutException:  # writing the document or waiting for the answer
            return Delivery(
                Outcome.ERROR,
                message=_("The ERP did not answer within %(seconds)s s.")
                % {"seconds": self.read_timeout},
            )
        except (httpx.RequestError, OSError) as error:
            # Refused or reset connections, TLS failures (a certificate that does not verify
            # included), proxy errors, a malformed answer.
            return Delivery(
                Outcome.ERROR,
                message=_("Connection to the ERP failed: %(error)s")
                % {"error": str(error) or type(error).__name__},
            )
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


def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    """The first `limit` bytes of the answer; the rest is never read (leaving the `stream` block
    then closes the connection instead of returning it to the pool)."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _new_client() -> httpx.Client:
    return httpx.Client(
        # TLS certificates are verified, against certifi's bundle or the one SSL_CERT_FILE /
        # SSL_CERT_DIR name; HTTP(S)_PROXY, ALL_PROXY and NO_PROXY are honoured (trust_env).
        verify=True,
        trust_env=True,
        follow_redirects=False,
        # An idle connection is dropped before the usual server-side keep-alive timeouts (5 s
        # and up) run out, so a delivery rarely meets a connection the ERP is just closing (if
        # it does, that is a connection error: retried, with the same Idempotency-Key).
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=10, keepalive_expiry=4),
        # No cookie is kept between deliveries: each request stands on its signature alone.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=())),
    )


_shared_lock = threading.Lock()
_shared: dict[int, httpx.Client] = {}  # process id → its client


def shared_client() -> httpx.Client:
    """The process's client, made at first use. Keyed by process id: a worker forked after the
    first use gets a client of its own rather than its parent's sockets. The environment
    (proxies, SSL_CERT_FILE) is read when the client is made."""
    pid = os.getpid()
    with _shared_lock:
        client = _shared.get(pid)
        if client is None:
            _shared.clear()  # a parent's client, inherited through fork: not ours to close
            client = _shared[pid] = _new_client()
        return client


def close_shared_client() -> None:
    """Close the process's client (its pooled connections); the next delivery makes a new one,
    reading the environment again."""
    with _shared_lock:
        client = _shared.pop(os.getpid(), None)
    if client is not None:
        client.close()


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
        return FileTransport(settings.ERP_EXPORT_DIR, file_mode=settings.ERP_EXPORT_FILE_MODE)
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
