"""Post-sales contracts and their renewals. Orders are known only through foreign keys to the
Back Office; the billing itself is done by crm_billing."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest, Round
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.models import AgreedPrice, Customer, Order, OrderLine, Product
from contracts.periods import next_period

NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


def periods_end():
    """The end of a contract's latest period, computed from its rows: its last renewal's, or its
    own end date while it has none (a renewal never starts before the contract's own period
    ends, so the last renewal's end is the latest)."""
    last_renewal_end = Subquery(
        Renewal.objects.filter(contract=OuterRef("pk")).order_by("-end_date").values("end_date")[:1]
    )
    return Greatest(Coalesce(last_renewal_end, F("end_date")), F("end_date"))


class ContractQuerySet(models.QuerySet):
    def store_current_end(self) -> int:
        """Write these contracts' current_end from their periods, in one UPDATE. The one writer
        of the field: every service that adds or changes a renewal, or a contract's end date,
        calls it in its own transaction, under the contract's row lock."""
        return self.update(current_end=periods_end())

    def with_current_end_not_stored(self):
        """The contracts whose stored current_end is not their periods' end (none, ever: the
        test suite checks it after every test)."""
        return self.alias(periods_end=periods_end()).exclude(current_end=F("periods_end"))

    def due_for_renewal(self, *, today, within_days: int):
        """Not cancelled, and their current period ends within `within_days` days of today, or
        has ended already without a renewal after it (contract_due_for_renewal's index)."""
        return self.filter(
            cancelled_on__isnull=True, current_end__lte=today + timedelta(days=within_days)
        )

    def for_list(self):
        return self.select_related("customer", "product", "order").order_by("-start_date", "number")


class Contract(models.Model):
    class State(models.TextChoices):
        FUTURE = "future", _("not started")
        ACTIVE = "active", _("in force")
        EXPIRED = "expired", _("expired")

    number = models.CharField(_("contract no."), max_length=30, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT)
    product = models.ForeignKey(
        Product, verbose_name=_("product/service"), on_delete=models.PROTECT
    )
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    renewal_months = models.PositiveSmallIntegerField(
        _("renewal period (months)"), default=12, validators=[MinValueValidator(1)]
    )
    customer_cost = models.DecimalField(
        _("customer cost"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
        help_text=_(
            "The agreed amount, billed by “New order” as it is. When empty, the list price of the "
            "product/service set for new contracts in the billing configuration is billed."
        ),
    )
    tacit_renewal = models.BooleanField(
        _("tacit renewal"),
        default=False,
        help_text=_("The contract renews for another period unless it is cancelled in time."),
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notice period (days)"),
        default=0,
        help_text=_("Days before the end of a period by which a cancellation must arrive."),
    )
    indexed = models.BooleanField(
        _("indexed"),
        default=False,
        help_text=_('Renewals revalue its cost by the ISTAT FOI index (the "indexed" rule).'),
    )
    index_share_percent = models.PositiveSmallIntegerField(
        _("share of the index"),
        choices=[(75, "75%"), (100, "100%")],
        default=100,
    )
    # How its tickets' hours are billed; empty = as the activity billing configuration says.
    billing_increment_minutes = models.PositiveSmallIntegerField(
        _("billing increment (minutes)"),
        null=True,
        blank=True,
        help_text=_("Hours are rounded up to a multiple of it. Empty: as configured; 0: none."),
    )
    minimum_minutes = models.PositiveSmallIntegerField(
        _("minimum billed (minutes)"),
        null=True,
        blank=True,
        help_text=_("An activity is billed at least this long. Empty: as configured."),
    )
    # Disdetta: the contract ends with its current period and is never proposed for renewal.
    cancelled_on = models.DateField(_("cancellation date"), null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancellation recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("order no."),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    # The end of the current period (the last renewal's, or its own end date), stored because
    # the Scadenzario rinnovi filters and sorts every contract by it. Written only by
    # ContractQuerySet.store_current_end(), in the transaction of the change: a trigger would
    # guarantee it for any write, but it needs two dialects (SQLite drops a table's triggers
    # when a migration rebuilds it, see backoffice 0006) and leaves the instances in memory
    # stale; the writers are few and already hold the contract's row lock.
    current_end = models.DateField(_("current end"), editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContractQuerySet.as_manager()
    # current_end is derived from the periods, whose own changes are in the history.
    history = HistoricalRecords(excluded_fields=["current_end"])

    class Meta:
        verbose_name = _("post-sales contract")
        verbose_name_plural = _("post-sales contracts")
        ordering = ["-start_date", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="contract_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(customer_cost__isnull=True) | Q(customer_cost__gte=0),
                name="contract_cost_not_negative",
            ),
            # An order bills at most one contract (or renewal: checked under the order's lock).
            models.UniqueConstraint(fields=["order"], name="contract_one_per_order"),
        ]
        indexes = [
            # The Scadenzario: the contracts not cancelled, by the end of their current period
            # (its window, its count and its default order, read in index order).
            models.Index(
                fields=["current_end", "number"],
                name="contract_due_for_renewal",
                condition=Q(cancelled_on__isnull=True),
            ),
            # The contract list's default order: its first page read in index order, not by
            # sorting every contract.
            models.Index(fields=["-start_date", "number"], name="contract_list_order"),
        ]
        permissions = [("manage_contracts", _("Post-sales contracts management"))]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        # A contract is written before any renewal of it: until one comes, its current period
        # is its own (store_current_end() keeps the field from then on).
        if self.current_end is None:
            self.current_end = self.end_date
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("contracts:contract_detail", args=[self.pk])

    def store_current_end(self):
        """Store the current end again after a change of the periods, and return it."""
        Contract.objects.filter(pk=self.pk).store_current_end()
        self.refresh_from_db(fields=["current_end"])
        return self.current_end

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date comes before the start date.")})

    def state_on(self, day):
        if day < self.start_date:
            return self.State.FUTURE
        return self.State.ACTIVE if day <= self.current_end else self.State.EXPIRED

    @property
    def state(self):
        return self.state_on(timezone.localdate())

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_on is not None

    def notice_deadline(self):
        """The last day a cancellation may arrive for the current period."""
        return self.current_end - timedelta(days=self.notice_days)

    def next_period(self):
        return next_period(self.current_end, self.renewal_months)

    def period_clash(self, start, end, *, renewal=None) -> str:
        """Why the period start–end cannot be a renewal of this contract (`renewal`: the one
        being changed), or "": the periods of a contract — its own and its renewals' — never
        overlap, so a renewal starts after the contract's own period ends."""
        if start <= self.end_date:
            return _("A renewal starts after the contract's own period, which ends on %(end)s.") % {
                "end": date_format(self.end_date, "SHORT_DATE_FORMAT")
            }
        clash = (
            self.renewals.filter(start_date__lte=end, end_date__gte=start)
            .exclude(pk=renewal.pk if renewal is not None else None)
            .order_by("start_date")
            .first()
        )
        if clash is not None:
            return _("The period overlaps %(renewal)s.") % {"renewal": clash}
        return ""

    def own_period_clash(self, end) -> str:
        """Why the contract's own period cannot end on `end`, or "": it must end before its
        first renewal starts."""
        first = self.renewals.order_by("start_date").first() if self.pk else None
        if first is not None and end >= first.start_date:
            return _("The contract's period must end before its first renewal (%(renewal)s).") % {
                "renewal": first
            }
        return ""

    @property
    def live_order(self):
        """The linked order unless it was cancelled (a cancelled order bills nothing)."""
        if self.order_id and self.order.status != Order.Status.CANCELLED:
            return self.order
        return None


class Renewal(models.Model):
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="renewals"
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    cost = models.DecimalField(
        _("renewal cost"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("internal protocol"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["contract", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="renewal_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="renewal_cost_not_negative"
            ),
            models.UniqueConstraint(
                fields=["contract", "start_date"], name="renewal_one_per_start_date"
            ),
            models.UniqueConstraint(fields=["order"], name="renewal_one_per_order"),
        ]
        indexes = [
            # The Rinnovi list's order (newest first): its first page read in index order.
            models.Index(fields=["-start_date", "-id"], name="renewal_list_order"),
        ]

    def __str__(self):
        return _("Renewal %(start)s – %(end)s") % {
            "start": date_format(self.start_date, "SHORT_DATE_FORMAT"),
            "end": date_format(self.end_date, "SHORT_DATE_FORMAT"),
        }

    def get_absolute_url(self):
        return reverse("contracts:renewal_detail", args=[self.pk])

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date comes before the start date.")})

    @property
    def live_order(self):
        if self.order_id and self.order.status != Order.Status.CANCELLED:
            return self.order
        return None


class ContractRate(AgreedPrice):
    """Tariffa del contratto: the price agreed in the contract for one product/service."""

    OWNER = "contract"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="rates"
    )

    class Meta:
        verbose_name = _("contract rate")
        verbose_name_plural = _("contract rates")
        ordering = ["contract", "product__code"]
        constraints = [
            *AgreedPrice.Meta.constraints,
            models.UniqueConstraint(
                fields=["contract", "product"], name="%(class)s_one_price_per_product"
            ),
        ]


class PrepaidHoursQuerySet(models.QuerySet):
    def with_usage(self):
        """Annotate `used` (hours on live lines drawn from the package) and `remaining`. A
        line stops counting when its order is cancelled: cancelling gives the hours back."""
        hours = models.DecimalField(max_digits=12, decimal_places=2)
        # Rounded to the hundredth in the query: SQLite adds and subtracts decimals as floats
        # (3,61 − 3,61 = −4e-16 h, "below zero").
        used = Round(
            Coalesce(
                Sum("draws__line__quantity", filter=Q(draws__line__is_live=True)),
                Decimal("0"),
                output_field=hours,
            ),
            2,
            output_field=hours,
        )
        remaining = Round(F("hours") - used, 2, output_field=hours)
        return self.annotate(used=used, remaining=remaining)

    def valid_on(self, day):
        return self.filter(valid_from__lte=day, valid_to__gte=day)


class PrepaidHours(models.Model):
    """Monte ore: hours the customer bought in advance, drawn by the contract's tickets within
    the validity before any hour is billed."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="packages"
    )
    hours = models.DecimalField(
        _("hours bought"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))

    objects = PrepaidHoursQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("prepaid hours")
        verbose_name_plural = _("prepaid hours")
        ordering = ["contract", "valid_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="prepaidhours_hours_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")), name="prepaidhours_valid_to_after_from"
            ),
        ]

    def __str__(self):
        return _("%(hours)s h from %(start)s to %(end)s") % {
            "hours": number_format(self.hours, 2),
            "start": date_format(self.valid_from, "SHORT_DATE_FORMAT"),
            "end": date_format(self.valid_to, "SHORT_DATE_FORMAT"),
        }

    def clean(self):
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date comes before the start date.")})

    @property
    def is_running_low(self) -> bool:
        """Needs with_usage(): at or under the warning share of the hours bought."""
        threshold = self.hours * Decimal(settings.PREPAID_HOURS_WARNING_PERCENT) / 100
        return self.remaining <= threshold


class PrepaidDraw(models.Model):
    """Which package a line at 0,00 € drew its hours from. The hours are the line's quantity;
    they count while the line is live."""

    package = models.ForeignKey(PrepaidHours, on_delete=models.PROTECT, related_name="draws")
    line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="prepaid_draw")

    def __str__(self):
        return f"{self.package_id}: {self.line_id}"


def orders_linked_elsewhere(record: Contract | Renewal | None = None) -> list:
    """The querysets of the order ids that a contract or a renewal other than `record` links:
    an order bills at most one of them."""
    contracts = Contract.objects.filter(order__isnull=False)
    renewals = Renewal.objects.filter(order__isnull=False)
    if isinstance(record, Contract) and record.pk:
        contracts = contracts.exclude(pk=record.pk)
    if isinstance(record, Renewal) and record.pk:
        renewals = renewals.exclude(pk=record.pk)
    return [contracts.values("order"), renewals.values("order")]
