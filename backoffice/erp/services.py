"""Sending orders to the ERP without losing one or delivering one twice (invariant 6).

States. The order: draft → sending (read-only) → sent, or back to draft when its send fails, with
a new revision. Its transmission (one per revision): queued → delivering → delivered, or back to
queued for a retry, or failed ("needs attention").

- `send_order` validates the order and its document (against the JSON Schema) and, in one
  transaction, puts it in "sending" and writes the transmission with its frozen payload: the
  outbox. The delivery task is enqueued in the same transaction when the task backend stores
  tasks in this database, otherwise right after commit; if that enqueue is ever lost,
  `sweep_transmissions` finds the transmission and enqueues again.
- `deliver_transmission` makes one attempt. It claims the transmission under a row lock
  (SELECT ... FOR UPDATE SKIP LOCKED) and leaves a lease on it (`claimed_until`), then talks to
  the ERP outside any transaction, then records the outcome only if it still holds the claim.
  Two workers never deliver the same transmission at the same time; a worker that dies leaves a
  lease that runs out, after which the transmission is delivered again with the same
  Idempotency-Key (at-least-once: the ERP keeps the document once).
- Retries: before attempt n+1 a random wait in [0, min(cap, base × 2^(n-1))] (exponential
  backoff with full jitter), at most ERP_MAX_ATTEMPTS attempts, then "failed". A rejection
  (4xx other than 408/429) fails at once.
"""

import logging
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import django_tasks
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.backend import DatabaseBackend

from backoffice.erp import payload as erp_payload
from backoffice.erp.transports import Delivery, get_transport
from backoffice.exceptions import (
    OrderAlreadySent,
    OrderChangedMeanwhile,
    OrderNotSendable,
    TransmissionNotResendable,
)
from backoffice.models import (
    Order,
    OrderEvent,
    OrderLine,
    Transmission,
    TransmissionAttempt,
)
from backoffice.permissions import SEND_TO_ERP
from backoffice.services import record_event
from core.actors import Actor
from core.functions import require_function

logger = logging.getLogger(__name__)

Outcome = TransmissionAttempt.Outcome
State = Transmission.State

# Jitter comes from here so that a test can pin it; SystemRandom needs no seeding per process.
_random = random.SystemRandom()


# --- Validation -------------------------------------------------------------------------------


def order_problems(order: Order, lines: list[OrderLine]) -> list[str]:
    """Every reason why the ERP would refuse the order, in the order the user fixes them."""
    problems = []
    customer = order.customer
    if not customer.code.strip():
        problems.append(_("The customer %(customer)s has no code.") % {"customer": customer})
    if not (customer.vat_number or customer.tax_code):
        problems.append(
            _("The customer %(customer)s has neither a VAT number nor a tax code.")
            % {"customer": customer}
        )
    if not lines:
        problems.append(_("The order has no lines."))
    for line in lines:
        if line.quantity is None or line.quantity <= 0:
            problems.append(
                _("Line %(position)s (%(description)s) has no quantity.")
                % {"position": line.position, "description": line.description}
            )
        elif line.net_amount != line.compute_net_amount():
            problems.append(
                _(
                    "Line %(position)s (%(description)s): the amount does not match quantity, "
                    "price and discount."
                )
                % {"position": line.position, "description": line.description}
            )
    if lines:
        summary = order.vat_summary(lines)
        stored = (order.total_net, order.total_vat, order.total)
        if stored != (summary.total_net, summary.total_vat, summary.total):
            problems.append(
                _("The order's totals do not match its lines: save a line to recompute them.")
            )
    return problems


# --- Queueing (the outbox) --------------------------------------------------------------------


def _check_function(actor: Actor) -> None:
    # The views check too; the service is what matters (deny by default).
    require_function(actor, SEND_TO_ERP)


def _queue(order: Order, actor: Actor) -> Transmission:
    """Validate the locked order, write its transmission and put the order in "sending"."""
    if order.status == Order.Status.CANCELLED:
        raise OrderNotSendable(message=_("A cancelled order cannot be sent to the ERP."))
    if order.status != Order.Status.DRAFT:
        raise OrderAlreadySent()
    order, lines = erp_payload.load_order(order.pk)
    problems = order_problems(order, lines)
    if problems:
        raise OrderNotSendable(problems)
    key = str(uuid.uuid4())
    payload = erp_payload.build_order_payload(
        order=order, lines=lines, idempotency_key=key, revision=order.revision
    )
    # The ERP gets only documents that follow its schema: one that does not is refused here,
    # before anything is written, with every problem named.
    problems = erp_payload.schema_problems(payload)
    if problems:
        raise OrderNotSendable(
            problems,
            message=_(
                "The order cannot be sent to the ERP: its document does not follow the "
                "schema %(schema)s."
            )
            % {"schema": erp_payload.SCHEMA_ID},
        )
    now = timezone.now()
    transmission = Transmission.objects.create(
        order=order,
        revision=order.revision,
        idempotency_key=key,
        payload=payload,
        state=State.QUEUED,
        next_attempt_at=now,
        queued_by=actor,
        created_at=now,
    )
    order.status = Order.Status.SENDING
    order.save(update_fields=["status", "updated_at"])
    record_event(
        order=order,
        kind=OrderEvent.Kind.QUEUED,
        actor=actor,
        message=_("Revision %(revision)s") % {"revision": order.revision},
    )
    _enqueue_delivery(transmission)
    return transmission


@transaction.atomic
def send_order(*, order: Order, actor: Actor, expected_revision: int | None = None) -> Transmission:
    """Queue a draft order for the ERP ("Invia al gestionale").

    Nothing is queued unless the order passes every check (all problems are reported at once).
    The order's state and the transmission are written in one transaction: after it the order is
    read-only and its delivery will be attempted until it arrives or fails. `expected_revision`
    is the revision the user was looking at: if a send failed meanwhile, the user must look again.
    """
    _check_function(actor)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if expected_revision is not None and locked.revision != expected_revision:
        raise OrderChangedMeanwhile()
    return _queue(locked, actor)


@transaction.atomic
def resend_transmission(*, transmission: Transmission, actor: Actor) -> Transmission:
    """Send again an order whose latest send failed ("Reinvia"): a new revision of the order,
    so a new transmission with a new idempotency key, after the same checks as the first."""
    _check_function(actor)
    order = Order.objects.select_for_update().get(pk=transmission.order_id)
    latest = order.transmissions.order_by("-revision").first()
    if latest is None or latest.pk != transmission.pk or latest.state != State.FAILED:
        raise TransmissionNotResendable()
    return _queue(order, actor)


# --- Enqueueing the delivery task -------------------------------------------------------------


def _stores_tasks_in_this_database(backend) -> bool:
    return isinstance(backend, DatabaseBackend)


def _enqueue_delivery(transmission: Transmission, *, run_after: datetime | None = None) -> bool:
    """Hand a transmission to the task backend; True if a task was (or will be) enqueued.

    The database backend writes the task in the current transaction: it exists if and only if
    the transmission does. Other backends (the inline one of `make run`, RQ) are told after the
    commit, so they never run a task for a transmission that was rolled back. A backend that
    cannot defer a task leaves retries to the sweep.
    """
    task = delivery_task
    backend = task.get_backend()
    if run_after is not None:
        if not backend.supports_defer:
            return False
        task = task.using(run_after=run_after)
    if _stores_tasks_in_this_database(backend):
        task.enqueue(transmission.pk)
    else:
        # robust: a backend that is down must not turn a committed send into an error page;
        # the sweep enqueues again. A function, not a functools.partial: Django names the
        # failing callback by its __qualname__, which a partial lacks (AttributeError).
        def enqueue_delivery_after_commit():
            task.enqueue(transmission.pk)

        transaction.on_commit(enqueue_delivery_after_commit, robust=True)
    return True


# --- Delivery ---------------------------------------------------------------------------------


def backoff_bound(failed_attempts: int) -> timedelta:
    """The longest wait after `failed_attempts` failures: min(cap, base × 2^(failures-1))."""
    base, cap = settings.ERP_BACKOFF_BASE, settings.ERP_BACKOFF_CAP
    return timedelta(seconds=min(cap, base * 2 ** (failed_attempts - 1)))


def backoff_delay(failed_attempts: int) -> timedelta:
    """Full jitter: uniform in [0, bound], so retries of many orders do not come in waves."""
    bound = backoff_bound(failed_attempts).total_seconds()
    return timedelta(seconds=_random.uniform(0, bound))


@dataclass(frozen=True)
class Claim:
    transmission_id: int
    order_id: int
    token: str
    attempt_id: int
    idempotency_key: str
    body: bytes
    document_name: str


def _lease() -> timedelta:
    return timedelta(seconds=settings.ERP_LEASE_SECONDS)


@transaction.atomic
def _claim(transmission_id: int, transport_name: str) -> Claim | None:
    now = timezone.now()
    transmission = (
        Transmission.objects.select_for_update(skip_locked=True)
        .claimable(now)
        .filter(pk=transmission_id)
        .first()
    )
    if transmission is None:
        return None  # not due, finished, or held by another worker
    if transmission.state == State.DELIVERING:
        # The previous holder's lease ran out before it recorded an outcome.
        transmission.attempts.filter(outcome=Outcome.IN_PROGRESS).update(
            outcome=Outcome.LOST,
            finished_at=now,
            message=_("No outcome recorded before the lease expired."),
        )
        if transmission.attempt_count >= settings.ERP_MAX_ATTEMPTS:
            _fail(
                transmission,
                now=now,
                message=_("Gave up after %(count)s attempts without an outcome.")
                % {"count": transmission.attempt_count},
            )
            return None
    transmission.attempt_count += 1
    transmission.state = State.DELIVERING
    transmission.claim_token = secrets.token_hex(16)
    transmission.claimed_until = now + _lease()
    transmission.save(
        update_fields=["attempt_count", "state", "claim_token", "claimed_until", "updated_at"]
    )
    attempt = TransmissionAttempt.objects.create(
        transmission=transmission,
        number=transmission.attempt_count,
        transport=transport_name,
        delay_before=transmission.retry_delay,
        started_at=now,
    )
    return Claim(
        transmission_id=transmission.pk,
        order_id=transmission.order_id,
        token=transmission.claim_token,
        attempt_id=attempt.pk,
        idempotency_key=transmission.idempotency_key,
        body=erp_payload.encode(transmission.payload),
        document_name=transmission.document_name,
    )


def _release(transmission: Transmission) -> None:
    transmission.claim_token = ""
    transmission.claimed_until = None


def _fail(transmission: Transmission, *, now: datetime, message: str) -> None:
    """Give the order back for correction: the next send is a new revision (a new key)."""
    transmission.state = State.FAILED
    transmission.last_error = message[:1000]
    transmission.next_attempt_at = None
    _release(transmission)
    transmission.save()
    order = Order.objects.select_for_update().get(pk=transmission.order_id)
    order.status = Order.Status.DRAFT
    order.revision += 1
    order.save(update_fields=["status", "revision", "updated_at"])
    record_event(order=order, kind=OrderEvent.Kind.SEND_FAILED, actor=None, message=message)


@transaction.atomic
def _record_outcome(claim: Claim, delivery: Delivery) -> Transmission:
    now = timezone.now()
    # Locks in the same order as _claim (transmission, then order), so they cannot deadlock.
    transmission = Transmission.objects.select_for_update().get(pk=claim.transmission_id)
    TransmissionAttempt.objects.filter(pk=claim.attempt_id).update(
        outcome=delivery.outcome,
        finished_at=now,
        http_status=delivery.http_status,
        message=delivery.message[:500],
        erp_reference=delivery.erp_reference,
    )
    if transmission.state != State.DELIVERING or transmission.claim_token != claim.token:
        # Our lease ran out and another worker took over: its attempt decides. Ours stays in
        # the log with what it learnt.
        logger.warning("Late outcome for transmission %s ignored", transmission.pk)
        return transmission
    _release(transmission)
    if delivery.outcome == Outcome.DELIVERED:
        transmission.state = State.DELIVERED
        transmission.erp_reference = delivery.erp_reference
        transmission.delivered_at = now
        transmission.next_attempt_at = None
        transmission.last_error = ""
        transmission.save()
        order = Order.objects.select_for_update().get(pk=claim.order_id)
        order.status = Order.Status.SENT
        order.erp_reference = delivery.erp_reference
        order.save(update_fields=["status", "erp_reference", "updated_at"])
        record_event(
            order=order, kind=OrderEvent.Kind.SENT, actor=None, message=delivery.erp_reference
        )
    elif (
        delivery.outcome == Outcome.ERROR and transmission.attempt_count < settings.ERP_MAX_ATTEMPTS
    ):
        delay = backoff_delay(transmission.attempt_count)
        transmission.state = State.QUEUED
        transmission.retry_delay = delay
        transmission.next_attempt_at = now + delay
        transmission.last_error = delivery.message[:1000]
        transmission.save()
        _enqueue_delivery(transmission, run_after=transmission.next_attempt_at)
    elif delivery.outcome == Outcome.ERROR:
        _fail(
            transmission,
            now=now,
            message=_("Gave up after %(count)s attempts: %(error)s")
            % {"count": transmission.attempt_count, "error": delivery.message},
        )
    else:
        _fail(transmission, now=now, message=delivery.message or _("Rejected by the ERP."))
    return transmission


def deliver_transmission(*, transmission_id: int, transport=None) -> Transmission | None:
    """One delivery attempt, if the transmission is due and nobody else holds it; None if
    there was nothing to do. Safe to call any number of times, from any number of workers."""
    transport = transport or get_transport()
    claim = _claim(transmission_id, transport.name)
    if claim is None:
        return None
    try:
        delivery = transport.send(
            idempotency_key=claim.idempotency_key,
            body=claim.body,
            document_name=claim.document_name,
        )
    except Exception as error:
        # A bug in a transport must not keep the claim until the lease runs out.
        logger.exception("Transport %s failed on transmission %s", transport.name, claim)
        delivery = Delivery(
            Outcome.ERROR, message=_("Unexpected error: %(error)s") % {"error": error}
        )
    return _record_outcome(claim, delivery)


# --- Sweep ------------------------------------------------------------------------------------


@transaction.atomic
def sweep_transmissions(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Enqueue again the transmissions whose task was lost: queued and due (for longer than
    ERP_SWEEP_GRACE_SECONDS when the backend schedules retries itself), or held by a worker
    whose lease ran out. An extra task is harmless: only one worker can claim. Returns the ids.
    Run it periodically (`manage.py sweep_transmissions`, e.g. every minute from cron)."""
    now = now or timezone.now()
    backend = delivery_task.get_backend()
    grace = (
        timedelta(seconds=settings.ERP_SWEEP_GRACE_SECONDS)
        if backend.supports_defer
        else timedelta(0)  # nothing else will start a retry: due is due
    )
    stuck = Transmission.objects.claimable(now).exclude(
        state=State.QUEUED, next_attempt_at__gt=now - grace
    )
    ids = list(stuck.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for transmission in Transmission.objects.filter(pk__in=ids).order_by("next_attempt_at", "pk"):
        _enqueue_delivery(transmission)
    return ids


def retry_due_inline(*, order: Order) -> None:
    """The embedded default (an inline task backend) cannot schedule a retry for later. While
    someone watches the order, its page asks for news every few seconds: a due retry is run
    then, so `make run` needs no extra process. Other backends schedule their own retries."""
    if delivery_task.get_backend().supports_defer:
        return
    due = (
        order.transmissions.claimable(timezone.now())
        .filter(attempt_count__gt=0)  # retries; a first attempt runs right after the click
        .values_list("pk", flat=True)
    )
    for transmission_id in list(due):
        deliver_transmission(transmission_id=transmission_id)


@django_tasks.task()
def delivery_task(transmission_id: int) -> str | None:
    """The background task of one delivery attempt; returns the transmission's state
    afterwards, or None when there was nothing to do (not due, already done, or held by
    another worker). It lives beside the service it runs, which enqueues it."""
    try:
        transmission = deliver_transmission(transmission_id=transmission_id)
    except Exception:
        # The inline backend keeps a task's error to itself: say it in the log.
        logger.exception("Delivery of transmission %s failed", transmission_id)
        raise
    return transmission.state if transmission is not None else None
