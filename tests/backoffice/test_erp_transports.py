"""The two transmissions and the stand-in ERP's checks: atomic files, signed requests, stale or
tampered requests refused, one document per Idempotency-Key."""

import hashlib
import hmac
import json
import os
import time

import httpx
import pytest

from backoffice.erp import payload as erp_payload
from backoffice.erp.transports import Delivery, FileTransport, HttpTransport, sign
from backoffice.models import TransmissionAttempt
from devtools.stand_in_erp import StandInErp
from tests.backoffice.conftest import ERP_SECRET

Outcome = TransmissionAttempt.Outcome
DOCUMENT = json.dumps({"schema": "erp-order/v1", "n": "1.00"}).encode() * 200


# --- file ---------------------------------------------------------------------------------------


def test_the_file_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    folder = tmp_path / "export"
    seen = {}
    real_replace = os.replace

    def observing_replace(source, target):
        # The instant before the rename: the importer sees no final file, and the hidden
        # temporary file beside it already holds every byte.
        seen["target_existed"] = os.path.exists(target)
        seen["temporary"] = os.path.basename(source)
        seen["same_folder"] = os.path.dirname(source) == str(folder)
        with open(source, "rb") as handle:
            seen["content"] = handle.read()
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", observing_replace)
    delivery = FileTransport(folder).send(idempotency_key="k", body=DOCUMENT, document_name="doc")
    assert delivery.outcome == Outcome.DELIVERED
    assert delivery.erp_reference == "doc.json"
    assert seen["target_existed"] is False
    assert seen["same_folder"] is True
    assert seen["temporary"].startswith(".") and seen["temporary"].endswith(".tmp")
    assert seen["content"] == DOCUMENT
    assert [p.name for p in folder.iterdir()] == ["doc.json"]
    assert (folder / "doc.json").read_bytes() == DOCUMENT


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_temporary_one(tmp_path, monkeypatch):
    folder = tmp_path / "export"

    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    delivery = FileTransport(folder).send(idempotency_key="k", body=DOCUMENT, document_name="doc")
    assert delivery.outcome == Outcome.ERROR
    assert "No space left" in delivery.message
    assert list(folder.iterdir()) == []


def test_a_repeated_delivery_replaces_the_same_file(tmp_path):
    transport = FileTransport(tmp_path)
    for _ in range(2):
        transport.send(idempotency_key="k", body=DOCUMENT, document_name="doc")
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_an_unwritable_folder_is_a_retryable_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    delivery = FileTransport(blocker / "export").send(
        idempotency_key="k", body=DOCUMENT, document_name="doc"
    )
    assert delivery.outcome == Outcome.ERROR


# --- http -----------------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(ERP_SECRET.encode(), b"1700000000." + DOCUMENT, hashlib.sha256)
    assert sign(secret=ERP_SECRET, timestamp="1700000000", body=DOCUMENT) == expected.hexdigest()


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (201, b'{"reference": "ERP-1"}', Delivery(Outcome.DELIVERED, "", 201, "ERP-1")),
        (
            200,
            b'{"reference": "ERP-1", "duplicate": true}',
            Delivery(Outcome.DELIVERED, "", 200, "ERP-1"),
        ),
        (408, b"", Delivery(Outcome.ERROR, "HTTP 408", 408)),
        (429, b'{"error": "slow down"}', Delivery(Outcome.ERROR, "HTTP 429: slow down", 429)),
        (503, b"maintenance", Delivery(Outcome.ERROR, "HTTP 503: maintenance", 503)),
        (
            400,
            b'{"error": "customer C1 unknown"}',
            Delivery(Outcome.REJECTED, "HTTP 400: customer C1 unknown", 400),
        ),
        (
            404,
            b'{"detail": "no such endpoint"}',
            Delivery(Outcome.REJECTED, "HTTP 404: no such endpoint", 404),
        ),
        (302, b"", Delivery(Outcome.REJECTED, "HTTP 302", 302)),
    ],
)
def test_answers_are_read_as_delivered_retry_or_rejected(status, answer, expected):
    assert HttpTransport.interpret(status, answer) == expected


def test_a_2xx_without_a_reference_is_delivered_with_a_note():
    delivery = HttpTransport.interpret(204, b"")
    assert (delivery.outcome, delivery.erp_reference) == (Outcome.DELIVERED, "")
    assert delivery.message


@pytest.fixture
def erp():
    with StandInErp(secret=ERP_SECRET) as stand_in:
        yield stand_in


def transport_for(erp, **kwargs):
    options = {"url": erp.url, "secret": ERP_SECRET, "connect_timeout": 2, "read_timeout": 2}
    return HttpTransport(**{**options, **kwargs})


def post(erp, body, headers, *, url=None):
    response = httpx.post(url or erp.url, content=body, headers=headers, timeout=5, trust_env=False)
    return response.status_code, json.loads(response.content or b"{}")


def signed_headers(body, *, key="key-1", timestamp=None, secret=ERP_SECRET):
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    return {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        "X-Timestamp": timestamp,
        "X-Signature": "sha256=" + sign(secret=secret, timestamp=timestamp, body=body),
    }


@pytest.fixture
def document(order):
    order, lines = erp_payload.load_order(order.pk)
    payload = erp_payload.build_order_payload(
        order=order, lines=lines, idempotency_key="key-1", revision=1
    )
    return erp_payload.encode(payload)


def test_the_stand_in_keeps_one_document_per_idempotency_key(erp, document):
    first = post(erp, document, signed_headers(document))
    again = post(erp, document, signed_headers(document))
    other = post(erp, document, signed_headers(document, key="key-2"))
    assert first == (201, {"reference": first[1]["reference"], "duplicate": False})
    assert again == (200, {"reference": first[1]["reference"], "duplicate": True})
    assert other[0] == 201 and other[1]["reference"] != first[1]["reference"]
    assert sorted(erp.documents) == ["key-1", "key-2"]


def test_the_stand_in_refuses_a_tampered_body(erp, document):
    headers = signed_headers(document)
    tampered = document.replace(b'"total":"164.70"', b'"total":"1.00"')
    assert tampered != document
    assert post(erp, tampered, headers) == (401, {"error": "Bad signature"})
    assert erp.documents == {}


def test_the_stand_in_refuses_a_stale_timestamp(erp, document):
    stale = int(time.time()) - 3600
    assert post(erp, document, signed_headers(document, timestamp=stale)) == (
        401,
        {"error": "Stale timestamp"},
    )
    assert erp.documents == {}


def test_the_stand_in_refuses_another_secret(erp, document):
    headers = signed_headers(document, secret="not-the-shared-secret-at-all-0123456789")
    assert post(erp, document, headers)[0] == 401


def test_the_stand_in_needs_an_idempotency_key(erp, document):
    headers = signed_headers(document, key="")
    assert post(erp, document, headers)[0] == 400


def test_the_stand_in_can_be_told_to_fail_and_to_be_slow(erp, document):
    body = json.dumps({"fail_next": 1, "status": 503, "delay": 0.2}).encode()
    status, state = post(erp, body, {"Content-Type": "application/json"}, url=erp.control_url)
    assert (status, state["fail_next"], state["status"]) == (200, 1, 503)
    started = time.monotonic()
    assert post(erp, document, signed_headers(document))[0] == 503
    assert time.monotonic() - started >= 0.2
    erp.control(delay=0)
    assert post(erp, document, signed_headers(document))[0] == 201


def test_the_stand_in_listens_on_loopback_only():
    with pytest.raises(ValueError):
        StandInErp(secret=ERP_SECRET, host="0.0.0.0")  # noqa: S104 - refused, which is the point


def test_the_http_transport_signs_what_the_stand_in_checks(erp, document):
    delivery = transport_for(erp).send(
        idempotency_key="key-9", body=document, document_name="ignored"
    )
    assert delivery.outcome == Outcome.DELIVERED
    assert delivery.erp_reference == erp.documents["key-9"]["reference"]


def test_a_transport_with_the_wrong_secret_is_rejected_not_retried(erp, document):
    delivery = transport_for(erp, secret="x" * 40).send(
        idempotency_key="key-9", body=document, document_name="ignored"
    )
    assert (delivery.outcome, delivery.http_status) == (Outcome.REJECTED, 401)
