"""Commercial master data and Orders/Offers.

This is the bottom app: it imports none of the others. What an order (or one of its lines) was
made from is recorded through contenttypes (`source`), so the Back Office never names a ticket or
a contract.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice import money
from backoffice.validators import (
    validate_numbering_pattern,
    validate_partita_iva,
    validate_tax_code,
)

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class MasterData(models.Model):
    """Records that orders point at: never deleted once used, switched off instead."""

    active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True


class PaymentTerms(MasterData):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("description"), max_length=120)

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        ordering = ["name"]

    def __str__(self):
        return self.name


class VatRate(MasterData):
    """A VAT rate, or an exemption (rate 0 with its nature code for the e-invoice)."""

    class Nature(models.TextChoices):
        # Natures of the Italian e-invoice (FatturaPA) used for exemptions.
        N1 = "N1", _("N1 - excluded under art. 15")
        N2_2 = "N2.2", _("N2.2 - not subject, other cases")
        N3_1 = "N3.1", _("N3.1 - not taxable, exports")
        N3_5 = "N3.5", _("N3.5 - not taxable, declaration of intent")
        N4 = "N4", _("N4 - exempt")
        N6_7 = "N6.7", _("N6.7 - reverse charge, building services")
        N6_9 = "N6.9", _("N6.9 - reverse charge, other cases")

    code = models.CharField(_("code"), max_length=20, unique=True)
    description = models.CharField(_("description"), max_length=120)
    rate = models.DecimalField(_("rate %"), max_digits=5, decimal_places=2, validators=PERCENT)
    nature = models.CharField(_("nature"), max_length=4, choices=Nature.choices, blank=True)

    class Meta:
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        ordering = ["-rate", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lte=100), name="vatrate_rate_between_0_and_100"
            ),
            models.CheckConstraint(
                condition=Q(nature="") | Q(rate=0), name="vatrate_exemption_has_zero_rate"
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def is_exemption(self):
        return bool(self.nature)

    def clean(self):
        if self.nature and self.rate != 0:
            raise ValidationError({"rate": _("An exemption must have a rate of zero.")})


class Agent(MasterData):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Customer(MasterData):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("company name"), max_length=200)
    vat_number = models.CharField(
        _("VAT number"), max_length=11, blank=True, validators=[validate_partita_iva]
    )
    tax_code = models.CharField(
        _("tax code"), max_length=16, blank=True, validators=[validate_tax_code]
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=2, blank=True)
    email = models.EmailField(_("email"), blank=True)
    payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("payment terms"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    vat_exemption = models.ForeignKey(
        VatRate,
        verbose_name=_("VAT exemption"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        limit_choices_to=~Q(nature=""),
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.PROTECT, null=True, blank=True
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="customer_discount_between_0_and_100",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.vat_exemption_id and not self.vat_exemption.is_exemption:
            raise ValidationError({"vat_exemption": _("Choose an exemption, not a VAT rate.")})


class Product(MasterData):
    class Unit(models.TextChoices):
        HOURS = "h", _("hours")
        PIECES = "pz", _("pieces")
        MONTHS = "mesi", _("months")
        YEARS = "anni", _("years")
        FLAT = "forfait", _("flat rate")

    code = models.CharField(_("code"), max_length=30, unique=True)
    description = models.CharField(_("description"), max_length=200)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECES)
    list_price = models.DecimalField(
        _("list price"), max_digits=12, decimal_places=2, validators=NOT_NEGATIVE
    )
    vat_rate = models.ForeignKey(
        VatRate,
        verbose_name=_("VAT rate"),
        on_delete=models.PROTECT,
        limit_choices_to=Q(nature=""),
    )

    class Meta:
        verbose_name = _("product/service")
        verbose_name_plural = _("products/services")
        ordering = ["description"]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="product_price_not_negative"
            )
        ]

    def __str__(self):
        return f"{self.code} - {self.description}"


class OrderType(MasterData):
    class Kind(models.TextChoices):
        ORDER = "order", _("order")
        OFFER = "offer", _("offer")

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ORDER)
    numbering_pattern = models.CharField(
        _("numbering pattern"),
        max_length=60,
        default="{code}/{year}/{seq:05}",
        validators=[validate_numbering_pattern],
        help_text=_("Placeholders: {code}, {year}, {seq} (e.g. {seq:05} for 00001)."),
    )

    class Meta:
        verbose_name = _("order/offer type")
        verbose_name_plural = _("order/offer types")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def format_number(self, *, year, seq):
        return self.numbering_pattern.format(code=self.code, year=year, seq=seq)


class DealSubject(MasterData):
    name = models.CharField(_("name"), max_length=150, unique=True)

    class Meta:
        verbose_name = _("deal subject")
        verbose_name_plural = _("deal subjects")
        ordering = ["name"]

    def __str__(self):
        return self.name


class NumberSequence(models.Model):
    """The last number handed out per scope and year; advanced by one atomic UPSERT."""

    scope = models.CharField(max_length=40)
    year = models.PositiveIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "year"], name="numbersequence_scope_year")
        ]

    def __str__(self):
        return f"{self.scope}/{self.year}: {self.last_value}"


class OrderQuerySet(models.QuerySet):
    def with_list_relations(self):
        return self.select_related("order_type", "customer", "owner")

    def live(self):
        return self.exclude(status=Order.Status.CANCELLED)

    def with_erp_state(self):
        """`erp_state`: the state of the order's latest transmission to the ERP, None if never
        sent. One subquery, so lists can show and filter it without a query per row."""
        latest = Transmission.objects.filter(order=models.OuterRef("pk")).order_by("-revision")
        return self.annotate(erp_state=models.Subquery(latest.values("state")[:1]))


class Order(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENDING = "sending", _("sending to the ERP")
        SENT = "sent", _("sent to the ERP")
        CANCELLED = "cancelled", _("cancelled")

    class Origin(models.TextChoices):
        MANUAL = "manual", _("manual")
        CONTRACT = "contract", _("new contract")
        RENEWAL = "renewal", _("contract renewal")
        TICKET = "ticket", _("ticket activities")

    order_type = models.ForeignKey(
        OrderType, verbose_name=_("order/offer type"), on_delete=models.PROTECT
    )
    number = models.CharField(_("order no."), max_length=60, editable=False)
    protocol = models.CharField(_("internal protocol"), max_length=20, unique=True, editable=False)
    date = models.DateField(_("date"), default=timezone.localdate)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_orders",
    )
    deal_subject = models.ForeignKey(
        DealSubject,
        verbose_name=_("deal subject"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("payment terms"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    vat_exemption = models.ForeignKey(
        VatRate,
        verbose_name=_("VAT exemption"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=~Q(nature=""),
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.PROTECT, null=True, blank=True
    )
    discount_percent = models.DecimalField(
        _("customer discount %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
    )
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    origin = models.CharField(
        _("source"), max_length=10, choices=Origin.choices, default=Origin.MANUAL
    )
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    # True while the order is as the defaults made it: the banner says so until someone edits it.
    from_defaults = models.BooleanField(_("generated with the default settings"), default=False)
    # Bumped when a send to the ERP fails: the corrected order is a new revision, and its send a
    # new idempotency key (the ERP de-duplicates by key, so the old one would be ignored).
    revision = models.PositiveIntegerField(default=1)
    # The ERP's reference of the delivered document (or the exported file's name).
    erp_reference = models.CharField(_("ERP reference"), max_length=100, blank=True)
    # Totals are kept on the order (recomputed by the services that change lines) so lists and
    # dropdowns show them without reading the lines.
    total_net = models.DecimalField(
        _("taxable amount"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    total_vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order/offer")
        verbose_name_plural = _("orders/offers")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order_type", "number"], name="order_number_per_type"),
        ]
        indexes = [
            models.Index(fields=["-date", "-id"], name="order_list_order"),
            models.Index(fields=["customer", "-date"]),
            models.Index(fields=["status", "-date"]),
            models.Index(fields=["source_type", "source_id"]),
        ]
        permissions = [
            ("manage_orders", _("Orders/Offers management (Back Office)")),
            ("send_to_erp", _("Send to the ERP")),
            ("manage_master_data", _("Master data management (Back Office)")),
        ]

    def __str__(self):
        return f"{self.order_type.name} {self.number}"

    def get_absolute_url(self):
        return reverse("backoffice:order_detail", args=[self.pk])

    @property
    def kind(self):
        return self.order_type.kind

    @property
    def is_editable(self):
        return self.status == self.Status.DRAFT

    @property
    def is_cancellable(self):
        return self.status == self.Status.DRAFT

    def vat_summary(self, lines=None):
        """Taxable amount and VAT per rate (invariant 4), from the given or the stored lines."""
        lines = self.lines.select_related("vat_rate") if lines is None else lines
        return money.vat_summary((line.vat_rate, line.net_amount) for line in lines)


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order/offer"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveIntegerField(_("position"), default=1)
    product = models.ForeignKey(
        Product, verbose_name=_("product/service"), on_delete=models.PROTECT
    )
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )
    vat_rate = models.ForeignKey(VatRate, verbose_name=_("VAT"), on_delete=models.PROTECT)
    net_amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # What this line bills (an activity, a contract, a renewal), and whether it still counts as
    # billed: a line stops being live when its order is cancelled. The flag lives on the line
    # because a UniqueConstraint cannot look at the order's status.
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    is_live = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]
        constraints = [
            # Invariant 1: nothing is billed twice.
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                condition=Q(is_live=True, source_id__isnull=False),
                name="orderline_one_live_line_per_source",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="orderline_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="orderline_discount_between_0_and_100",
            ),
        ]

    def __str__(self):
        return self.description

    def compute_net_amount(self):
        return money.line_net_amount(self.quantity, self.unit_price, self.discount_percent)


class OrderEvent(models.Model):
    """Append-only log of what happened to an order (invariant 7)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        EDITED = "edited", _("edited")
        LINE_ADDED = "line_added", _("line added")
        LINE_CHANGED = "line_changed", _("line changed")
        LINE_REMOVED = "line_removed", _("line removed")
        CANCELLED = "cancelled", _("cancelled")
        LINKED = "linked", _("linked")
        UNLINKED = "unlinked", _("unlinked")
        QUEUED = "queued", _("queued for the ERP")
        SENT = "sent", _("sent to the ERP")
        SEND_FAILED = "send_failed", _("send failed")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    message = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The order history cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The order history cannot be changed."))


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
