"""The http transmission on httpx, against real loopback servers: pytest-httpserver for the
status codes, the headers, slow and oversized answers; the stand-in ERP for the pooled
connection; a TLS server with a certificate of its own for verification; proxies from the
environment."""

import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import sys
import time

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from backoffice.erp import payload as erp_payload
from backoffice.erp import transports
from backoffice.erp.transports import MAX_ANSWER_BYTES, MAX_MESSAGE, HttpTransport
from backoffice.models import TransmissionAttempt
from devtools.stand_in_erp import StandInErp
from tests.backoffice.conftest import ERP_SECRET

Outcome = TransmissionAttempt.Outcome
BODY = json.dumps({"schema": "erp-order/v1", "total": "164.70"}, separators=(",", ":")).encode()


@pytest.fixture(autouse=True)
def italian():
    """The messages the order page shows, in the language it shows them in."""
    with translation.override("it"):
        yield


@pytest.fixture(autouse=True)
def fresh_client():
    """Each test starts with a new process-wide client (it reads the environment when made)
    and leaves none behind."""
    transports.close_shared_client()
    yield
    transports.close_shared_client()


def transport(url, **kwargs):
    options = {"url": url, "secret": ERP_SECRET, "connect_timeout": 2, "read_timeout": 2}
    return HttpTransport(**{**options, **kwargs})


def send(url, *, key="key-1", body=BODY, **kwargs):
    return transport(url, **kwargs).send(idempotency_key=key, body=body, document_name="doc")


@pytest.fixture
def document(order):
    """A document the stand-in ERP accepts (it checks the schema)."""
    order, lines = erp_payload.load_order(order.pk)
    payload = erp_payload.build_order_payload(
        order=order, lines=lines, idempotency_key="key-1", revision=1
    )
    return erp_payload.encode(payload)


@pytest.mark.parametrize(
    "url", ["", "ftp://erp.example.it/orders", "erp.example.it/orders", "http://", "http://[::1"]
)
def test_a_url_that_is_not_http_is_a_configuration_error(url):
    with pytest.raises(ImproperlyConfigured):
        transport(url)


# --- status codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer", "outcome", "message"),
    [
        (201, {"reference": "ERP-7"}, Outcome.DELIVERED, ""),
        (200, {"reference": "ERP-7", "duplicate": True}, Outcome.DELIVERED, ""),
        (400, {"error": "customer C1 unknown"}, Outcome.REJECTED, "HTTP 400: customer C1 unknown"),
        (401, {"error": "Bad signature"}, Outcome.REJECTED, "HTTP 401: Bad signature"),
        (404, {"detail": "no such endpoint"}, Outcome.REJECTED, "HTTP 404: no such endpoint"),
        (409, {"message": "conflict"}, Outcome.REJECTED, "HTTP 409: conflict"),
        (422, {"error": "lines: too short"}, Outcome.REJECTED, "HTTP 422: lines: too short"),
        (408, {}, Outcome.ERROR, "HTTP 408"),
        (429, {"error": "slow down"}, Outcome.ERROR, "HTTP 429: slow down"),
        (500, {"error": "boom"}, Outcome.ERROR, "HTTP 500: boom"),
        (502, {}, Outcome.ERROR, "HTTP 502"),
        (503, {"error": "maintenance"}, Outcome.ERROR, "HTTP 503: maintenance"),
        (504, {}, Outcome.ERROR, "HTTP 504"),
    ],
)
def test_each_answer_is_delivered_retried_or_rejected(
    httpserver_ipv4, status, answer, outcome, message
):
    body = json.dumps(answer) if answer else ""
    httpserver_ipv4.expect_request("/orders", method="POST").respond_with_data(
        body, status=status, content_type="application/json"
    )
    delivery = send(httpserver_ipv4.url_for("/orders"))
    assert (delivery.outcome, delivery.http_status, delivery.message) == (outcome, status, message)
    assert delivery.erp_reference == ("ERP-7" if outcome == Outcome.DELIVERED else "")


def test_a_204_is_delivered_without_a_reference_and_says_so(httpserver_ipv4):
    httpserver_ipv4.expect_request("/orders").respond_with_data("", status=204)
    delivery = send(httpserver_ipv4.url_for("/orders"))
    assert (delivery.outcome, delivery.http_status, delivery.erp_reference) == (
        Outcome.DELIVERED,
        204,
        "",
    )
    assert delivery.message


def test_a_redirect_is_not_followed_but_rejected(httpserver_ipv4):
    elsewhere = httpserver_ipv4.url_for("/elsewhere")
    httpserver_ipv4.expect_request("/orders").respond_with_data(
        "", status=307, headers={"Location": elsewhere}
    )
    delivery = send(httpserver_ipv4.url_for("/orders"))
    assert (delivery.outcome, delivery.http_status) == (Outcome.REJECTED, 307)
    assert [request.path for request, _response in httpserver_ipv4.log] == ["/orders"]


# --- the request ----------------------------------------------------------------------------------


def test_the_request_is_the_signed_document_as_it_was_given(httpserver_ipv4):
    seen = []

    def handler(request: Request) -> Response:
        seen.append((request.method, request.full_path, dict(request.headers), request.data))
        return Response(json.dumps({"reference": "ERP-1"}), status=201)

    httpserver_ipv4.expect_request("/api/orders").respond_with_handler(handler)
    before = int(time.time())
    delivery = send(httpserver_ipv4.url_for("/api/orders?tenant=7"), key="rev-key-1")
    assert delivery.outcome == Outcome.DELIVERED
    ((method, path, headers, body),) = seen
    assert (method, path, body) == ("POST", "/api/orders?tenant=7", BODY)
    assert headers["Idempotency-Key"] == "rev-key-1"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Accept-Encoding"] == "identity"
    timestamp = headers["X-Timestamp"]
    assert before <= int(timestamp) <= time.time()
    expected = hmac.new(ERP_SECRET.encode(), f"{timestamp}.".encode() + BODY, hashlib.sha256)
    assert headers["X-Signature"] == f"sha256={expected.hexdigest()}"
    assert "Cookie" not in headers


def test_no_cookie_is_kept_between_deliveries(httpserver_ipv4):
    cookies = []

    def handler(request: Request) -> Response:
        cookies.append(request.headers.get("Cookie"))
        return Response('{"reference": "R"}', status=201, headers={"Set-Cookie": "lb=node-2"})

    httpserver_ipv4.expect_request("/orders").respond_with_handler(handler)
    for key in ("k-1", "k-2"):
        assert send(httpserver_ipv4.url_for("/orders"), key=key).outcome == Outcome.DELIVERED
    assert cookies == [None, None]


# --- slow, oversized, unreachable -----------------------------------------------------------------


def test_an_answer_slower_than_the_read_timeout_is_a_retryable_error(httpserver_ipv4):
    def slow(request: Request) -> Response:
        time.sleep(0.6)
        return Response('{"reference": "late"}', status=201)

    httpserver_ipv4.expect_request("/orders").respond_with_handler(slow)
    started = time.monotonic()
    delivery = send(httpserver_ipv4.url_for("/orders"), read_timeout=0.2)
    assert time.monotonic() - started < 0.55
    assert (delivery.outcome, delivery.http_status) == (Outcome.ERROR, None)
    assert delivery.message == "Il gestionale non ha risposto entro 0.2 s."


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs to a full queue")
def test_a_connection_not_accepted_in_time_is_a_retryable_error():
    # A loopback listener whose accept queue is full: the kernel drops further SYNs, so the
    # connection is never made (neither accepted nor refused).
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                filler = socket.socket()
                filler.setblocking(False)
                fillers.append(filler)
                filler.connect_ex(("127.0.0.1", port))
            time.sleep(0.1)
            started = time.monotonic()
            delivery = send(f"http://127.0.0.1:{port}/orders", connect_timeout=0.3, read_timeout=5)
            elapsed = time.monotonic() - started
        finally:
            for filler in fillers:
                filler.close()
    assert (delivery.outcome, delivery.http_status) == (Outcome.ERROR, None)
    assert delivery.message == "Nessuna connessione al gestionale entro 0.3 s."
    assert elapsed < 3


def test_a_refused_connection_is_a_retryable_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = send(f"http://127.0.0.1:{port}/orders")
    assert (delivery.outcome, delivery.http_status) == (Outcome.ERROR, None)
    assert delivery.message == (
        "Connessione al gestionale non riuscita: [Errno 111] Connection refused"
    )


def test_a_huge_answer_is_read_up_to_the_cap_and_the_message_is_cut(httpserver_ipv4, monkeypatch):
    read = []
    real_interpret = HttpTransport.interpret

    def interpret(status, answer):
        read.append(len(answer))
        return real_interpret(status, answer)

    monkeypatch.setattr(HttpTransport, "interpret", staticmethod(interpret))
    httpserver_ipv4.expect_request("/orders").respond_with_data("x" * (4 * 1024 * 1024), status=503)
    delivery = send(httpserver_ipv4.url_for("/orders"))
    assert read == [MAX_ANSWER_BYTES]
    assert (delivery.outcome, delivery.http_status) == (Outcome.ERROR, 503)
    assert len(delivery.message) == MAX_MESSAGE
    assert delivery.message.startswith("HTTP 503: xxx")


def test_an_answer_that_is_not_json_is_quoted_as_the_erps_message(httpserver_ipv4):
    httpserver_ipv4.expect_request("/orders").respond_with_data(
        "<html>Service Unavailable</html>", status=503, content_type="text/html"
    )
    assert send(httpserver_ipv4.url_for("/orders")).message == (
        "HTTP 503: <html>Service Unavailable</html>"
    )


# --- one pooled client ----------------------------------------------------------------------------


def test_deliveries_share_one_pooled_connection_to_the_erp(document, monkeypatch):
    with StandInErp(secret=ERP_SECRET) as erp:
        connections = []
        real_process_request = erp.server.process_request

        def counting(request, client_address):
            connections.append(client_address)
            return real_process_request(request, client_address)

        monkeypatch.setattr(erp.server, "process_request", counting)
        deliveries = [send(erp.url, key=f"key-{n}", body=document) for n in range(3)]
        assert [d.outcome for d in deliveries] == [Outcome.DELIVERED] * 3
        assert len(erp.documents) == 3
    assert len(connections) == 1
    assert transports.shared_client() is transports.shared_client()


def test_a_pooled_connection_the_erp_closed_meanwhile_is_replaced(document, monkeypatch):
    with StandInErp(secret=ERP_SECRET) as erp:
        accepted = []
        real_process_request = erp.server.process_request

        def keeping(request, client_address):
            accepted.append(request)
            return real_process_request(request, client_address)

        monkeypatch.setattr(erp.server, "process_request", keeping)
        assert send(erp.url, key="before", body=document).outcome == Outcome.DELIVERED
        # The ERP (or a load balancer before it) closes the idle kept-alive connection.
        accepted[0].shutdown(socket.SHUT_RDWR)
        time.sleep(0.05)
        assert send(erp.url, key="after", body=document).outcome == Outcome.DELIVERED
        assert sorted(erp.documents) == ["after", "before"]
    assert len(accepted) == 2


def test_an_injected_client_is_used_instead_of_the_shared_one():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Idempotency-Key"])
        return httpx.Response(201, json={"reference": "MOCK-1"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        delivery = send("https://erp.example.it/orders", key="k-mock", client=client)
    assert (delivery.outcome, delivery.erp_reference) == (Outcome.DELIVERED, "MOCK-1")
    assert seen == ["k-mock"]


# --- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_erp(certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    server.expect_request("/orders").respond_with_json({"reference": "TLS-1"}, status=201)
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_a_certificate_that_does_not_verify_is_refused(https_erp):
    delivery = send(https_erp.url_for("/orders"))
    assert (delivery.outcome, delivery.http_status) == (Outcome.ERROR, None)
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.message
    assert https_erp.log == []  # the document never left


def test_the_ca_bundle_comes_from_ssl_cert_file(https_erp, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    delivery = send(https_erp.url_for("/orders"))
    assert (delivery.outcome, delivery.erp_reference) == (Outcome.DELIVERED, "TLS-1")


# --- proxies --------------------------------------------------------------------------------------


def test_the_proxy_comes_from_the_environment(httpserver_ipv4, monkeypatch):
    # The pytest-httpserver plays the proxy: it receives the request for a host that does not
    # even resolve, which only a proxy can forward.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", httpserver_ipv4.url_for("/").rstrip("/"))
    monkeypatch.setenv("http_proxy", httpserver_ipv4.url_for("/").rstrip("/"))
    hosts = []

    def proxy(request: Request) -> Response:
        hosts.append(request.headers["Host"])
        return Response('{"reference": "VIA-PROXY"}', status=201)

    httpserver_ipv4.expect_request("/orders").respond_with_handler(proxy)
    delivery = send("http://erp.invalid/orders")
    assert (delivery.outcome, delivery.erp_reference) == (Outcome.DELIVERED, "VIA-PROXY")
    assert hosts == ["erp.invalid"]


def test_no_proxy_is_honoured(document, monkeypatch):
    with socket.socket() as probe:  # a proxy that is not there
        probe.bind(("127.0.0.1", 0))
        dead_proxy = f"http://127.0.0.1:{probe.getsockname()[1]}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1")
    with StandInErp(secret=ERP_SECRET) as erp:
        assert send(erp.url, body=document).outcome == Outcome.DELIVERED
