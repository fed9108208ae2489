"""Orders/Offers with their lines, the numbering sequences and the append-only event log.

What an order (or one of its lines) was made from is recorded through contenttypes (`source`), so
the Back Office never names a ticket or a contract."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice import money
from backoffice.models.master_data import (
    PERCENT,
    Agent,
    Customer,
    DealSubject,
    OrderType,
    PaymentTerms,
    Product,
    VatRate,
)


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
        # Transmission is reached through its relation: its module imports this one.
        transmission = self.model._meta.get_field("transmissions").related_model
        latest = transmission.objects.filter(order=models.OuterRef("pk")).order_by("-revision")
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
    def is_offer(self) -> bool:
        """Offers are feminine in Italian ("Offerta … generata"), orders masculine: messages
        about one order pick their wording by it."""
        return self.order_type.kind == OrderType.Kind.OFFER

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
    class Kind(models.TextChoices):
        """What part of its source a line bills: each part is on at most one live line."""

        ITEM = "item", _("item")  # the source itself: a contract, a renewal, an activity's hours
        PREPAID = "prepaid", _("hours from the prepaid package")
        CALL_OUT = "call_out", _("call-out fee")
        TRAVEL = "travel", _("travel")
        MATERIAL = "material", _("material")

    class PriceSource(models.TextChoices):
        """Where a generated line's unit price came from ("" for a line typed by hand)."""

        NONE = "", pgettext_lazy("price source", "entered")
        CONTRACT_RATE = "contract_rate", pgettext_lazy("price source", "contract rate")
        PRICE_LIST = "price_list", pgettext_lazy("price source", "customer price list")
        LIST_PRICE = "list_price", pgettext_lazy("price source", "list price")
        PREPAID = "prepaid", pgettext_lazy("price source", "prepaid hours")

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
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ITEM)
    # A charge made once per source and day (the call-out fee of a ticket-day) names its day.
    source_date = models.DateField(null=True, blank=True)
    price_source = models.CharField(
        _("price from"), max_length=15, choices=PriceSource.choices, blank=True, default=""
    )
    is_live = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]
        constraints = [
            # Invariant 1: nothing is billed twice. Each part of a source (its hours, their
            # prepaid share, its travel...) is on at most one live line; a per-day charge at
            # most once per day. Two constraints because NULL days never clash in a unique index.
            models.UniqueConstraint(
                fields=["source_type", "source_id", "kind"],
                condition=Q(is_live=True, source_id__isnull=False, source_date__isnull=True),
                name="orderline_one_live_line_per_source",
            ),
            models.UniqueConstraint(
                fields=["source_type", "source_id", "kind", "source_date"],
                condition=Q(is_live=True, source_id__isnull=False, source_date__isnull=False),
                name="orderline_one_live_line_per_source_day",
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
        indexes = [
            # "Is this billed?" (backoffice/billed.py) asks for the lines of one source, live or
            # released, for every row of a list: the partial unique indexes above cannot answer
            # it (their conditions name the day), so without this one each row scanned every
            # line of its kind of source.
            models.Index(fields=["source_type", "source_id"], name="orderline_source"),
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
