"""Tickets ("segnalazioni"), their activities, and what makes an activity billable.

Orders are known only through the Back Office: an order line points at the activity it bills
(contenttypes), so whether an activity is billed is asked of backoffice.billed."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import (
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Round
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice import billed
from backoffice.models import Customer, PriceListItem, Product
from contracts.models import ContractRate
from tickets.pricing import default_hours_product

MONEY = DecimalField(max_digits=14, decimal_places=2)


class _Ratio(Func):
    """a / b as a decimal on every database: SQLite, which stores 60,00 as the integer 60,
    would divide integers."""

    arg_joiner = " / "
    template = "(%(expressions)s)"
    output_field = MONEY

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, arg_joiner=" * 1.0 / ", **extra_context)


def _sum(expression, output_field):
    """SUM over the rows of a correlated subquery (no GROUP BY: it filters one outer row)."""
    return Func(expression, function="SUM", output_field=output_field)


class ActivityStatus(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("activity status")
        verbose_name_plural = _("activity statuses")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class ActivityCondition(models.Model):
    """Condizione di svolgimento: in warranty, under contract, paid... "Da fatturare" marks the
    conditions whose closed activities are billed."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    to_be_billed = models.BooleanField(_("to be billed"), default=False)
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("execution condition")
        verbose_name_plural = _("execution conditions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ActivityType(models.Model):
    """Tipo attività: what product its hours are billed as, and whether it is done at the
    customer's site (then the call-out fee and travel apply)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    product = models.ForeignKey(
        Product,
        verbose_name=_("product/service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the product/service of the activity billing configuration."),
    )
    on_site = models.BooleanField(
        _("on site"), default=False, help_text=_("Call-out fee and travel are billed.")
    )
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["name"]

    def __str__(self):
        return self.name


class TicketQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("customer", "technician", "contract").order_by(
            "-opened_on", "-id"
        )

    def with_billable_activities(self):
        return self.filter(Exists(Activity.objects.billable().filter(ticket=OuterRef("pk"))))

    def with_billable_count(self):
        """Annotate `billable_count`, the ticket's billable activities (Activity.billable): one
        subquery."""
        billable = Activity.objects.billable().filter(ticket=OuterRef("pk")).order_by()
        return self.annotate(
            billable_count=Coalesce(
                Subquery(
                    billable.annotate(n=Func(Value(1), function="COUNT")).values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )

    def with_billable_summary(self):
        """Annotate `billable_count`, the ticket's billable activities (Activity.billable), and
        `billable_value`, an estimate of their hours' worth: hours × the price chain's unit
        price (contract rate → customer price list → list price less the customer's discount).
        Before rounding to the billing increment, the prepaid hours, call-out, travel and
        materials: the billing preview gives the real amounts. Two subqueries per row."""
        billable = Activity.objects.billable().filter(ticket=OuterRef("pk")).order_by()
        priced = billable.with_estimated_value()
        return self.with_billable_count().annotate(
            billable_value=Coalesce(
                Subquery(
                    priced.annotate(total=_sum(F("estimated_value"), MONEY)).values("total"),
                    output_field=MONEY,
                ),
                Value(Decimal("0")),
                output_field=MONEY,
            ),
        )


class Ticket(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TicketQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["-opened_on", "-id"]), models.Index(fields=["customer"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="ticket_closed_after_opened",
            )
        ]
        permissions = [("manage_tickets", _("Tickets management and activity billing"))]

    def __str__(self):
        return f"{self.code} – {self.subject}"

    def get_absolute_url(self):
        return reverse("tickets:ticket_detail", args=[self.pk])

    @property
    def code(self):
        return f"SEG-{self.pk:06}"

    @property
    def is_open(self):
        return self.closed_on is None


class ActivityQuerySet(models.QuerySet):
    def with_billing_state(self):
        """Annotate the live order (id, number) each activity is billed on, if any."""
        live = billed.live_lines_for_each(Activity)
        return self.annotate(
            billed_order_id=Subquery(live.values("order_id")[:1]),
            billed_order_number=Subquery(live.values("order__number")[:1]),
        )

    def with_released_order(self):
        """Annotate the number of the latest cancelled order that billed the activity."""
        released = billed.released_lines_for_each(Activity)
        return self.annotate(released_order_number=Subquery(released.values("order__number")[:1]))

    def on_live_orders(self):
        return self.filter(Exists(billed.live_lines_for_each(Activity)))

    def with_estimated_value(self):
        """Annotate `estimated_value`: the activity's minutes (60 when none was recorded) / 60
        × its product's unit price by the price chain, to the cent. See
        TicketQuerySet.with_billable_summary."""
        product = OuterRef("hours_product")
        # One row at most each (unique per contract / price list and product): no ordering,
        # whose joins were most of the time PostgreSQL took to plan the ticket list.
        rate = (
            ContractRate.objects.filter(
                contract_id=OuterRef("ticket__contract_id"), product_id=product
            )
            .order_by()
            .values("unit_price")
        )
        listed = (
            PriceListItem.objects.filter(
                price_list_id=OuterRef("ticket__customer__price_list_id"), product_id=product
            )
            .order_by()
            .values("unit_price")
        )
        list_price = Product.objects.filter(pk=product).order_by().values("list_price")
        # Prices × 100, the list price less the discount (in %): only products until the end.
        price_100 = Coalesce(
            Subquery(rate, output_field=MONEY) * 100,
            Subquery(listed, output_field=MONEY) * 100,
            Subquery(list_price, output_field=MONEY)
            * (100 - F("ticket__customer__discount_percent")),
            output_field=MONEY,
        )
        minutes = Coalesce("duration_minutes", 60, output_field=IntegerField())
        return self.annotate(
            hours_product=Coalesce(
                "activity_type__product_id", default_hours_product(), output_field=IntegerField()
            ),
            estimated_value=Round(_Ratio(minutes * price_100, Value(6000)), 2, output_field=MONEY),
        )

    def billable(self, cutoff=None):
        """Closed, condition "Da fatturare", not on a live order line, with a plausible
        duration (and done by the cut-off)."""
        queryset = self.filter(
            Q(duration_minutes__isnull=True)
            | Q(duration_minutes__lte=settings.ACTIVITY_MAX_MINUTES),
            status__kind=ActivityStatus.Kind.CLOSED,
            condition__to_be_billed=True,
        ).exclude(Exists(billed.live_lines_for_each(Activity)))
        if cutoff is not None:
            queryset = queryset.filter(date__lte=cutoff)
        return queryset


class Activity(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="activities"
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    description = models.TextField(_("description"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    status = models.ForeignKey(ActivityStatus, verbose_name=_("status"), on_delete=models.PROTECT)
    condition = models.ForeignKey(
        ActivityCondition, verbose_name=_("execution condition"), on_delete=models.PROTECT
    )
    activity_type = models.ForeignKey(
        ActivityType,
        verbose_name=_("activity type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    km = models.PositiveIntegerField(_("travel (km)"), default=0)

    objects = ActivityQuerySet.as_manager()
    history = HistoricalRecords()

    # Fields its order lines depend on: frozen while the activity is on a live order.
    BILLED_FIELDS = ("date", "duration_minutes", "status", "condition", "activity_type", "km")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["ticket", "date", "id"]

    def __str__(self):
        return f"{date_format(self.date, 'SHORT_DATE_FORMAT')} – {self.description[:60]}"

    @property
    def hours(self) -> Decimal:
        """Billed quantity: the duration in hours to two places; 1 when none was recorded."""
        if self.duration_minutes is None:
            return Decimal("1")
        return (Decimal(self.duration_minutes) / Decimal(60)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    def not_billable_reason(self, cutoff=None) -> str:
        """Why the activity cannot be billed now, or "" if it can. Needs with_billing_state().
        The reasons are checked in this order (DESIGN §6)."""
        if self.status.kind != ActivityStatus.Kind.CLOSED:
            return gettext("not in a status of type Closed (%(status)s)") % {
                "status": self.status.name
            }
        if not self.condition.to_be_billed:
            return gettext("condition “%(condition)s” is not to be billed") % {
                "condition": self.condition.name
            }
        if self.billed_order_number:
            return gettext("already on order %(number)s") % {"number": self.billed_order_number}
        if cutoff is not None and self.date > cutoff:
            return gettext("closed after the cut-off date %(date)s") % {
                "date": date_format(cutoff, "SHORT_DATE_FORMAT")
            }
        if self.duration_minutes and self.duration_minutes > settings.ACTIVITY_MAX_MINUTES:
            return gettext(
                "a duration of %(minutes)s minutes is beyond the maximum of %(max)s: correct it"
            ) % {"minutes": self.duration_minutes, "max": settings.ACTIVITY_MAX_MINUTES}
        return ""


class ActivityMaterial(models.Model):
    """Materiale / ricambio used in an activity: billed with it, one line each."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="materials"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product/service"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["activity", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="activitymaterial_quantity_positive"
            )
        ]

    def __str__(self):
        return self.description or self.product.description
