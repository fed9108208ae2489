"""Delivering a transmission: retries with backoff, rejections, at-least-once with the ERP's
de-duplication, leases, the sweep, and the task backends that run it."""

import socket
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from backoffice.erp import payload as erp_payload
from backoffice.erp import services as erp
from backoffice.erp.transports import Delivery, get_transport
from backoffice.models import Order, OrderEvent, Transmission, TransmissionAttempt
from backoffice.permissions import MANAGE_ORDERS, SEND_TO_ERP
from tests.backoffice.conftest import wait_until

State = Transmission.State
Outcome = TransmissionAttempt.Outcome


class WorkerKilled(BaseException):
    """The process went away: nothing after this point runs (not even except Exception)."""


class DiesAfterTheAnswer:
    """Delivers for real, then the worker dies before it can record the outcome."""

    def __init__(self, transport):
        self.transport = transport
        self.name = transport.name
        self.answer = None

    def send(self, **kwargs):
        self.answer = self.transport.send(**kwargs)
        raise WorkerKilled()


def deliver_until_final(transmission, limit=10):
    """Run attempts as a worker would, waiting for each retry to become due."""
    for _attempt in range(limit):
        erp.deliver_transmission(transmission_id=transmission.pk)
        transmission.refresh_from_db()
        if transmission.state in (State.DELIVERED, State.FAILED):
            return transmission
        wait_until(transmission.next_attempt_at)
    raise AssertionError(f"still {transmission.state} after {limit} attempts")


def attempts_of(transmission):
    return list(transmission.attempts.order_by("number"))


def test_the_file_transmission_delivers_on_commit_and_the_order_is_sent(
    order, backoffice_user, erp_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transmission = erp.send_order(order=order, actor=backoffice_user)
    transmission.refresh_from_db()
    order.refresh_from_db()
    exported = erp_settings.ERP_EXPORT_DIR / f"{transmission.document_name}.json"
    assert transmission.state == State.DELIVERED
    assert exported.read_bytes() == erp_payload.encode(transmission.payload)
    assert (order.status, order.erp_reference) == (Order.Status.SENT, exported.name)
    assert order.events.filter(kind=OrderEvent.Kind.SENT, message=exported.name).exists()
    assert [(a.outcome, a.transport) for a in attempts_of(transmission)] == [
        (Outcome.DELIVERED, "file")
    ]
    assert sorted(p.name for p in erp_settings.ERP_EXPORT_DIR.iterdir()) == [exported.name]


def test_500_500_200_is_delivered_on_the_third_attempt_after_growing_waits(
    stand_in, order, backoffice_user, monkeypatch
):
    # Pin the jitter at its upper bound: the waits are then exactly the backoff bounds.
    monkeypatch.setattr(erp._random, "uniform", lambda low, high: high)
    stand_in.control(fail_next=2, status=500)
    transmission = deliver_until_final(erp.send_order(order=order, actor=backoffice_user))
    attempts = attempts_of(transmission)
    assert [(a.outcome, a.http_status) for a in attempts] == [
        (Outcome.ERROR, 500),
        (Outcome.ERROR, 500),
        (Outcome.DELIVERED, 201),
    ]
    assert [a.delay_before for a in attempts] == [
        None,
        timedelta(seconds=0.05),
        timedelta(seconds=0.1),
    ]
    reference = stand_in.documents[transmission.idempotency_key]["reference"]
    assert transmission.erp_reference == attempts[-1].erp_reference == reference
    order.refresh_from_db()
    assert (order.status, order.erp_reference) == (Order.Status.SENT, reference)
    assert len(stand_in.documents) == 1


def test_the_recorded_waits_stay_within_the_full_jitter_bounds(
    stand_in, order, backoffice_user, erp_settings
):
    erp_settings.ERP_BACKOFF_CAP = 0.15
    stand_in.control(fail_next=3, status=503)
    transmission = deliver_until_final(erp.send_order(order=order, actor=backoffice_user))
    assert transmission.state == State.DELIVERED
    waits = [a.delay_before for a in attempts_of(transmission)][1:]
    bounds = [timedelta(seconds=0.05), timedelta(seconds=0.1), timedelta(seconds=0.15)]
    assert len(waits) == 3
    assert all(timedelta(0) <= wait <= bound for wait, bound in zip(waits, bounds, strict=True))


def test_backoff_bounds_double_up_to_the_cap_and_jitter_stays_inside(erp_settings):
    erp_settings.ERP_BACKOFF_BASE, erp_settings.ERP_BACKOFF_CAP = 2.0, 30.0
    assert [erp.backoff_bound(n).total_seconds() for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
    samples = [erp.backoff_delay(3) for _ in range(200)]
    assert all(timedelta(0) <= s <= timedelta(seconds=8) for s in samples)
    assert len(set(samples)) > 100  # jittered, not a fixed wait


def test_a_400_is_not_retried_and_gives_the_order_back(stand_in, order, backoffice_user):
    stand_in.control(fail_next=1, status=400)
    transmission = erp.send_order(order=order, actor=backoffice_user)
    erp.deliver_transmission(transmission_id=transmission.pk)
    transmission.refresh_from_db()
    assert transmission.state == State.FAILED
    (attempt,) = attempts_of(transmission)
    assert (attempt.outcome, attempt.http_status) == (Outcome.REJECTED, 400)
    assert "Simulated failure (HTTP 400)" in attempt.message
    assert "Simulated failure (HTTP 400)" in transmission.last_error
    # Nothing more happens to it, and the ERP was asked once.
    assert erp.deliver_transmission(transmission_id=transmission.pk) is None
    assert stand_in.requests_for(transmission.idempotency_key) == 1
    order.refresh_from_db()
    assert (order.status, order.revision) == (Order.Status.DRAFT, 2)
    event = order.events.get(kind=OrderEvent.Kind.SEND_FAILED)
    assert "Simulated failure" in event.message


def test_a_document_the_erp_finds_invalid_is_rejected_with_its_message(
    stand_in, order, backoffice_user
):
    transmission = erp.send_order(order=order, actor=backoffice_user)
    Transmission.objects.filter(pk=transmission.pk).update(
        payload={**transmission.payload, "lines": []}
    )
    erp.deliver_transmission(transmission_id=transmission.pk)
    (attempt,) = attempts_of(transmission)
    assert (attempt.outcome, attempt.http_status) == (Outcome.REJECTED, 422)
    assert "lines" in attempt.message


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_temporary_answers_are_retried(stand_in, order, backoffice_user, status):
    stand_in.control(fail_next=1, status=status)
    transmission = erp.send_order(order=order, actor=backoffice_user)
    erp.deliver_transmission(transmission_id=transmission.pk)
    transmission.refresh_from_db()
    assert transmission.state == State.QUEUED
    assert transmission.next_attempt_at is not None
    assert attempts_of(transmission)[0].outcome == Outcome.ERROR
    assert Order.objects.get(pk=order.pk).status == Order.Status.SENDING
    assert deliver_until_final(transmission).state == State.DELIVERED


def test_attempts_are_bounded_then_the_send_needs_attention(
    stand_in, order, backoffice_user, erp_settings
):
    stand_in.control(fail_next=100, status=500)
    transmission = deliver_until_final(erp.send_order(order=order, actor=backoffice_user))
    assert transmission.state == State.FAILED
    assert transmission.attempt_count == erp_settings.ERP_MAX_ATTEMPTS == 4
    assert stand_in.requests_for(transmission.idempotency_key) == 4
    assert Order.objects.get(pk=order.pk).status == Order.Status.DRAFT


def test_a_timeout_is_retried_and_the_erp_keeps_one_document(
    stand_in, order, backoffice_user, erp_settings
):
    erp_settings.ERP_READ_TIMEOUT = 0.2
    stand_in.control(delay=0.6)  # the ERP stores the document, then answers too late
    transmission = erp.send_order(order=order, actor=backoffice_user)
    erp.deliver_transmission(transmission_id=transmission.pk)
    transmission.refresh_from_db()
    (attempt,) = attempts_of(transmission)
    assert (transmission.state, attempt.outcome, attempt.http_status) == (
        State.QUEUED,
        Outcome.ERROR,
        None,
    )
    stand_in.control(delay=0)
    transmission = deliver_until_final(transmission)
    stored = stand_in.documents[transmission.idempotency_key]["reference"]
    assert transmission.erp_reference == stored
    assert len(stand_in.documents) == 1
    assert stand_in.requests_for(transmission.idempotency_key) == 2


def test_a_refused_connection_is_retried(erp_settings, order, backoffice_user):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    erp_settings.ERP_TRANSMISSION, erp_settings.ERP_URL = "http", f"http://127.0.0.1:{port}/"
    transmission = erp.send_order(order=order, actor=backoffice_user)
    erp.deliver_transmission(transmission_id=transmission.pk)
    transmission.refresh_from_db()
    assert transmission.state == State.QUEUED
    assert attempts_of(transmission)[0].outcome == Outcome.ERROR


def test_a_worker_dying_after_the_erp_answered_leads_to_one_document_and_a_sent_order(
    stand_in, order, backoffice_user, erp_settings, django_capture_on_commit_callbacks
):
    erp_settings.ERP_LEASE_SECONDS = 0.3
    transmission = erp.send_order(order=order, actor=backoffice_user)
    dying = DiesAfterTheAnswer(get_transport())
    with pytest.raises(WorkerKilled):
        erp.deliver_transmission(transmission_id=transmission.pk, transport=dying)
    assert dying.answer.outcome == Outcome.DELIVERED  # the ERP has it; we never recorded it
    transmission.refresh_from_db()
    assert transmission.state == State.DELIVERING
    # While the lease holds nobody else takes it.
    assert erp.deliver_transmission(transmission_id=transmission.pk) is None
    assert erp.sweep_transmissions() == []

    wait_until(transmission.claimed_until)
    with django_capture_on_commit_callbacks(execute=True):
        assert erp.sweep_transmissions() == [transmission.pk]
    transmission.refresh_from_db()
    assert transmission.state == State.DELIVERED
    assert [a.outcome for a in attempts_of(transmission)] == [Outcome.LOST, Outcome.DELIVERED]
    assert stand_in.requests_for(transmission.idempotency_key) == 2
    assert len(stand_in.documents) == 1
    assert transmission.erp_reference == dying.answer.erp_reference
    order.refresh_from_db()
    assert (order.status, order.erp_reference) == (Order.Status.SENT, dying.answer.erp_reference)


def test_an_answer_arriving_after_the_lease_expired_does_not_overrule_the_new_holder(
    stand_in, order, backoffice_user, erp_settings
):
    erp_settings.ERP_LEASE_SECONDS = 0.2
    transmission = erp.send_order(order=order, actor=backoffice_user)

    class Slow:
        """Worker A: hangs past its lease, meanwhile worker B delivers, then A hears a 400."""

        name = "test"

        def send(self, **kwargs):
            wait_until(Transmission.objects.get(pk=transmission.pk).claimed_until)
            assert erp.deliver_transmission(transmission_id=transmission.pk).state == (
                State.DELIVERED
            )
            return Delivery(Outcome.REJECTED, message="late", http_status=400)

    erp.deliver_transmission(transmission_id=transmission.pk, transport=Slow())
    transmission.refresh_from_db()
    assert transmission.state == State.DELIVERED
    assert [(a.number, a.outcome) for a in attempts_of(transmission)] == [
        (1, Outcome.REJECTED),
        (2, Outcome.DELIVERED),
    ]
    assert Order.objects.get(pk=order.pk).status == Order.Status.SENT


def test_workers_that_keep_dying_end_in_failed(
    order, backoffice_user, erp_settings, django_capture_on_commit_callbacks
):
    erp_settings.ERP_LEASE_SECONDS, erp_settings.ERP_MAX_ATTEMPTS = 0.1, 2
    transmission = erp.send_order(order=order, actor=backoffice_user)
    for _death in range(2):
        transmission.refresh_from_db()
        wait_until(transmission.claimed_until or transmission.next_attempt_at)
        with pytest.raises(WorkerKilled):
            erp.deliver_transmission(
                transmission_id=transmission.pk, transport=DiesAfterTheAnswer(get_transport())
            )
    transmission.refresh_from_db()
    wait_until(transmission.claimed_until)
    assert erp.deliver_transmission(transmission_id=transmission.pk) is None
    transmission.refresh_from_db()
    assert transmission.state == State.FAILED
    assert [a.outcome for a in attempts_of(transmission)] == [Outcome.LOST, Outcome.LOST]
    assert Order.objects.get(pk=order.pk).status == Order.Status.DRAFT


def test_a_bug_in_a_transport_becomes_a_retryable_error(order, backoffice_user):
    class Broken:
        name = "test"

        def send(self, **kwargs):
            raise ValueError("boom")

    transmission = erp.send_order(order=order, actor=backoffice_user)
    erp.deliver_transmission(transmission_id=transmission.pk, transport=Broken())
    transmission.refresh_from_db()
    assert (transmission.state, transmission.claim_token) == (State.QUEUED, "")
    assert "boom" in attempts_of(transmission)[0].message


def test_the_sweep_takes_what_is_stuck_and_leaves_the_rest(
    order, backoffice_user, erp_settings, django_capture_on_commit_callbacks
):
    # Lost task: committed to the outbox, but its task never ran (on_commit discarded here).
    lost = erp.send_order(order=order, actor=backoffice_user)
    from tests.backoffice.test_erp_services import _order_with_a_line

    later = erp.send_order(order=_order_with_a_line(backoffice_user), actor=backoffice_user)
    Transmission.objects.filter(pk=later.pk).update(
        next_attempt_at=later.next_attempt_at + timedelta(hours=1)
    )
    held = erp.send_order(order=_order_with_a_line(backoffice_user), actor=backoffice_user)
    Transmission.objects.filter(pk=held.pk).update(
        state=State.DELIVERING,
        claim_token="someone",
        claimed_until=held.next_attempt_at + timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert erp.sweep_transmissions() == [lost.pk]
    lost.refresh_from_db()
    assert lost.state == State.DELIVERED
    assert Transmission.objects.get(pk=later.pk).state == State.QUEUED
    assert Transmission.objects.get(pk=held.pk).state == State.DELIVERING


def test_with_a_deferring_backend_the_sweep_waits_for_the_grace_period(
    order, backoffice_user, erp_settings
):
    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    erp_settings.ERP_SWEEP_GRACE_SECONDS = 60
    transmission = erp.send_order(order=order, actor=backoffice_user)
    assert erp.sweep_transmissions() == []
    later = transmission.next_attempt_at + timedelta(seconds=61)
    assert erp.sweep_transmissions(now=later) == [transmission.pk]


def test_the_sweep_command_runs_the_sweep(
    order, backoffice_user, django_capture_on_commit_callbacks
):
    transmission = erp.send_order(order=order, actor=backoffice_user)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_transmissions", verbosity=0)
    transmission.refresh_from_db()
    assert transmission.state == State.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_the_embedded_backend_delivers_on_commit_and_retries_through_the_sweep(stand_in, make_user):
    from tests.backoffice.test_erp_services import _order_with_a_line

    actor = make_user(MANAGE_ORDERS, SEND_TO_ERP)
    stand_in.control(fail_next=1, status=503)
    transmission = erp.send_order(order=_order_with_a_line(actor), actor=actor)
    transmission.refresh_from_db()  # the first attempt ran at commit
    assert (transmission.state, transmission.attempt_count) == (State.QUEUED, 1)
    assert erp.sweep_transmissions(now=transmission.next_attempt_at - timedelta(seconds=1)) == []
    wait_until(transmission.next_attempt_at)
    assert erp.sweep_transmissions() == [transmission.pk]
    transmission.refresh_from_db()
    assert transmission.state == State.DELIVERED
    assert transmission.order.status == Order.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_the_task_is_written_with_the_transmission(
    stand_in, make_user, erp_settings
):
    from tests.backoffice.test_erp_services import _order_with_a_line

    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    actor = make_user(MANAGE_ORDERS, SEND_TO_ERP)
    order = _order_with_a_line(actor)
    with pytest.raises(RuntimeError), transaction.atomic():
        erp.send_order(order=order, actor=actor)
        raise RuntimeError("rolled back")
    assert not DBTaskResult.objects.exists()

    stand_in.control(fail_next=1, status=500)
    transmission = erp.send_order(order=order, actor=actor)
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [transmission.pk], "kwargs": {}}

    def run_worker():
        call_command(
            "db_worker",
            batch=True,
            max_tasks=1,
            startup_delay=False,
            reload=False,
            interval=0,
            verbosity=0,
        )

    run_worker()  # attempt 1: 500, the retry is a task deferred to the next attempt's time
    transmission.refresh_from_db()
    assert transmission.state == State.QUEUED
    retry = DBTaskResult.objects.exclude(pk=task.pk).get()
    assert retry.run_after == transmission.next_attempt_at
    wait_until(transmission.next_attempt_at)
    run_worker()
    transmission.refresh_from_db()
    assert transmission.state == State.DELIVERED
    assert len(stand_in.documents) == 1
