"""The outbox of "Invia al gestionale": one Transmission per order revision sent, with every
attempt (invariant 6)."""

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models.orders import Order


class TransmissionQuerySet(models.QuerySet):
    def claimable(self, now):
        """Due and not held by anybody: queued for an attempt that is due, or taken by a worker
        whose lease has run out (it died or hung: at-least-once, the ERP de-duplicates)."""
        return self.filter(
            Q(state=Transmission.State.QUEUED, next_attempt_at__lte=now)
            | Q(state=Transmission.State.DELIVERING, claimed_until__lt=now)
        )

    def in_flight(self):
        return self.filter(state__in=Transmission.IN_FLIGHT)


class Transmission(models.Model):
    """One revision of an order on its way to the ERP: the outbox row (invariant 6).

    Written in the same transaction that puts the order in "sending", with the payload frozen at
    that moment. Workers take it with a row lock and a lease (`claimed_until`, `claim_token`);
    every attempt is a TransmissionAttempt. The idempotency key is the same for every attempt of
    this revision, so the ERP can drop a repeated delivery.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        DELIVERING = "delivering", _("delivering")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed, needs attention")

    IN_FLIGHT = (State.QUEUED, State.DELIVERING)

    order = models.ForeignKey(
        Order,
        verbose_name=_("order/offer"),
        on_delete=models.PROTECT,
        related_name="transmissions",
    )
    revision = models.PositiveIntegerField(_("revision"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    payload = models.JSONField(_("payload"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When QUEUED: the earliest moment of the next attempt, and the backoff that led to it.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    retry_delay = models.DurationField(null=True, blank=True)
    # When DELIVERING: who holds it and until when.
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    erp_reference = models.CharField(_("ERP reference"), max_length=100, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = TransmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("transmission to the ERP")
        verbose_name_plural = _("transmissions to the ERP")
        ordering = ["order", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "revision"], name="transmission_one_per_order_revision"
            ),
            # At most one send of an order under way, and at most one that arrived.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(state__in=["queued", "delivering"]),
                name="transmission_one_in_flight_per_order",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(state="delivered"),
                name="transmission_one_delivered_per_order",
            ),
            models.CheckConstraint(
                condition=~Q(state="queued") | Q(next_attempt_at__isnull=False),
                name="transmission_queued_has_next_attempt",
            ),
            models.CheckConstraint(
                condition=~Q(state="delivering") | Q(claimed_until__isnull=False),
                name="transmission_delivering_has_lease",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["state", "claimed_until"]),
        ]

    def __str__(self):
        return f"{self.order_id} r{self.revision} ({self.state})"

    @property
    def is_in_flight(self):
        return self.state in self.IN_FLIGHT

    @property
    def document_name(self):
        """The name the document goes by at the ERP (the exported file's name, without .json):
        the same for every attempt of this revision."""
        header = self.payload["header"]
        protocol = "-".join(re.findall(r"[A-Za-z0-9]+", header["protocol"]))
        return f"order-{protocol}-r{header['revision']}"


class TransmissionAttempt(models.Model):
    """One try at delivering a transmission, as the order page shows it."""

    class Outcome(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        DELIVERED = "delivered", _("delivered")
        ERROR = "error", _("error, to be retried")
        REJECTED = "rejected", _("rejected by the ERP")
        LOST = "lost", _("no outcome: the worker stopped")

    transmission = models.ForeignKey(
        Transmission, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    transport = models.CharField(_("transmission"), max_length=10)
    # The backoff waited before this attempt (none for the first).
    delay_before = models.DurationField(_("waited before"), null=True, blank=True)
    started_at = models.DateTimeField(_("when"))
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.IN_PROGRESS
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    erp_reference = models.CharField(_("ERP reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("transmission attempt")
        verbose_name_plural = _("transmission attempts")
        ordering = ["transmission", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["transmission", "number"], name="transmissionattempt_number"
            ),
        ]

    def __str__(self):
        return f"{self.transmission_id} #{self.number} {self.outcome}"
