"""Billing configuration: the defaults each case of billing starts from; and the history of the
users (Gestione Utenti), kept here because django.contrib.auth's User is not ours to change."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords

from backoffice.models import DealSubject, OrderType, Product


class ProjectFunctions(models.Model):
    """Holds the functions that belong to no record of their own. Django hangs permissions on a
    model; this one has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("configure_billing", _("Billing configuration")),
            ("manage_users", _("User management")),
        ]

    def __str__(self):
        return "functions"


class BillingProfileQuerySet(models.QuerySet):
    def for_case(self, case):
        """The row of one case, created empty the first time it is asked for."""
        return self.get_or_create(case=case)[0]

    def for_all_cases(self):
        """The row of every case, with what the configuration page shows: one query once the
        rows exist (they are created empty the first time)."""
        rows = self.select_related(
            "order_type", "deal_subject", "product", "call_out_product", "travel_product"
        )
        found = list(rows)
        if len(found) < len(BillingProfile.Case.values):
            for case in BillingProfile.Case.values:
                self.for_case(case)
            found = list(rows.all())
        return found


class BillingProfile(models.Model):
    """The defaults of one billing case ("Configurazione fatturazione"): one row per case."""

    class Case(models.TextChoices):
        NEW_CONTRACT = "new_contract", _("New contracts")
        RENEWAL = "renewal", _("Contract renewals")
        ACTIVITY = "activity", _("Activities linked to a ticket")

    class RenewalPricing(models.TextChoices):
        LAST_RENEWAL_COST = "last_cost", _("the contract's last renewal cost")
        LIST_PRICE = "list_price", _("the list price of the configured product/service")
        INDEXED_LAST_COST = (
            "indexed",
            _("the last cost revalued by the ISTAT FOI index (contracts that are indexed)"),
        )

    case = models.CharField(_("case"), max_length=20, choices=Case.choices, unique=True)
    order_type = models.ForeignKey(
        OrderType,
        verbose_name=_("order/offer type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    deal_subject = models.ForeignKey(
        DealSubject,
        verbose_name=_("deal subject"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product/service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # Activity case only: the call-out fee, the price per km, and how hours are rounded (a
    # contract may say otherwise).
    call_out_product = models.ForeignKey(
        Product,
        verbose_name=_("call-out fee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Billed once per ticket and day with on-site work. Empty: none."),
    )
    travel_product = models.ForeignKey(
        Product,
        verbose_name=_("travel (price per km)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Billed for the km of on-site activities. Empty: none."),
    )
    billing_increment_minutes = models.PositiveSmallIntegerField(
        _("billing increment (minutes)"),
        default=0,
        help_text=_("Hours are rounded up to a multiple of it; 0: no rounding."),
    )
    minimum_minutes = models.PositiveSmallIntegerField(
        _("minimum billed (minutes)"),
        default=0,
        help_text=_("An activity is billed at least this long; 0: no minimum."),
    )
    renewal_pricing = models.CharField(
        _("customer cost of the renewal order"),
        max_length=12,
        choices=RenewalPricing.choices,
        default=RenewalPricing.LAST_RENEWAL_COST,
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = BillingProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("billing configuration")
        verbose_name_plural = _("billing configuration")
        ordering = ["case"]
        default_permissions = ()

    def __str__(self):
        return str(self.get_case_display())

    def clean(self):
        for name in ("product", "call_out_product", "travel_product"):
            if getattr(self, f"{name}_id") and not getattr(self, name).active:
                raise ValidationError({name: _("The product/service is not active.")})

    @property
    def missing(self) -> list[str]:
        """Names of the defaults still to be set for this case: unset, or switched off since."""
        required = [
            name
            for name in ("order_type", "product")
            if getattr(self, f"{name}_id") is None or not getattr(self, name).active
        ]
        optional = [
            name
            for name in ("call_out_product", "travel_product")
            if getattr(self, f"{name}_id") is not None and not getattr(self, name).active
        ]
        return [str(self._meta.get_field(name).verbose_name) for name in required + optional]


class BillingProfileChange(models.Model):
    """Who changed which default, when, from what to what. Append-only."""

    profile = models.ForeignKey(BillingProfile, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    field = models.CharField(_("setting"), max_length=100)
    old_value = models.CharField(_("old value"), max_length=300, blank=True)
    new_value = models.CharField(_("new value"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("billing configuration change")
        verbose_name_plural = _("billing configuration changes")
        ordering = ["-at", "-id"]
        default_permissions = ()

    def __str__(self):
        return f"{self.field}: {self.old_value} → {self.new_value}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The change history cannot be changed."))
        super().save(*args, **kwargs)


class BillingRun(models.Model):
    """One "Fattura attività": its selection (stored when previewed, so the confirmation bills
    exactly what was previewed and posts only the run's id), its progress and its result.

    Kept in the database so the progress bar survives a page reload and any worker process can
    run it; small selections run at once in the request, large ones as a background task."""

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("previewed, not confirmed")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("completed")
        FAILED = "failed", _("failed")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Touched at the start and after every batch: a run whose worker died stops being touched.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.QUEUED
    )

    class Kind(models.TextChoices):
        ACTIVITIES = "activities", _("Bill activities")
        RENEWALS = "renewals", _("Renew and bill")

    class Grouping(models.TextChoices):
        """How "Fattura attività" gathers tickets into Orders/Offers."""

        TICKET = "ticket", _("one per ticket")
        CUSTOMER = "customer", _("one per customer")
        CUSTOMER_CONTRACT = "contract", _("one per customer and contract")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ACTIVITIES)
    cutoff = models.DateField(_("activities closed up to"), null=True, blank=True)
    grouping = models.CharField(
        _("orders"), max_length=10, choices=Grouping.choices, default=Grouping.TICKET
    )
    ticket_ids = models.JSONField(default=list)
    # A slice of the "Da fatturare" dashboard: only these activities of the tickets are billed
    # (the others are not part of the run). None: every billable activity of the tickets.
    activity_ids = models.JSONField(null=True, blank=True, default=None)
    # "Rinnova e fattura": {contract id: start of the period previewed}. A confirmation renews
    # exactly that period, never the one after it if the contract was renewed meanwhile.
    contract_periods = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_orders = models.JSONField(default=list)
    skipped_tickets = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("activity billing run")
        verbose_name_plural = _("activity billing runs")
        ordering = ["-created_at"]
        default_permissions = ()

    def __str__(self):
        return f"{self.pk} ({self.get_state_display()})"

    def get_absolute_url(self):
        return reverse("billing:billing_run_detail", args=[self.pk])

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.processed / self.total)

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def stalled(self) -> bool:
        """Unfinished and silent for longer than BILLING_RUN_STALL_SECONDS: its worker is gone
        (or was never started), so it may be resumed."""
        last_sign = self.heartbeat_at or self.created_at
        limit = timezone.now() - timedelta(seconds=settings.BILLING_RUN_STALL_SECONDS)
        running = self.state in (self.State.QUEUED, self.State.RUNNING)
        return running and last_sign < limit


class UserHistory(HistoricalRecords):
    """A user's history leaves out the password (no hashes kept around) and the time of the last
    login; a save that writes only those (every login does) records nothing."""

    def post_save(self, instance, created, using=None, update_fields=None, **kwargs):
        if update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, update_fields=update_fields, **kwargs)


# Who granted or revoked which function, who (de)activated a user, who changed a name or an
# e-mail: the user's own fields and its permissions (functions), with each change's author.
register(
    get_user_model(),
    app="crm_billing",
    records_class=UserHistory,
    m2m_fields=["user_permissions"],
    excluded_fields=["password", "last_login"],
)


class ConsumerPriceIndex(models.Model):
    """The ISTAT FOI index (indice dei prezzi al consumo per le famiglie di operai e impiegati,
    senza tabacchi) of one month: what the "indexed" renewal rule revalues costs by."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    value = models.DecimalField(
        _("index"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ISTAT FOI index")
        verbose_name_plural = _("ISTAT FOI indices")
        ordering = ["-year", "-month"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="foi_one_value_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="foi_month"),
        ]

    def __str__(self):
        return f"{self.month:02}/{self.year}: {self.value}"
