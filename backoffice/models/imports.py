"""Master data imported from the ERP's export files: one row per file uploaded, kept in the
database with its content, so the confirmation applies exactly the file that was previewed (on
whichever node it lands) and the row itself says who imported what, when, with what result."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class MasterDataImport(models.Model):
    class Kind(models.TextChoices):
        # In the order they are best imported: each kind names only kinds above it.
        VAT_RATES = "vat-rates", _("VAT rates and exemptions")
        PAYMENT_TERMS = "payment-terms", _("payment terms")
        AGENTS = "agents", _("agents")
        PRICE_LISTS = "price-lists", _("price lists")
        PRODUCTS = "products", _("products/services")
        PRICE_LIST_PRICES = "price-list-prices", _("price list prices")
        CUSTOMERS = "customers", _("customers")

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("previewed, not applied")
        REFUSED = "refused", _("refused: nothing changed")
        APPLIED = "applied", _("applied")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file_name = models.CharField(_("file"), max_length=200)
    content = models.BinaryField(_("content"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    state = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.PREVIEWED
    )
    # The counts of the latest run over the file: the preview's, then the application's.
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("rows with errors"), default=0)
    # {"problems": [what is wrong with the file as a whole], "rows": [{"line", "code",
    # "outcome", "errors": [{"column", "message"}]}] for every row created, updated or refused}
    report = models.JSONField(_("report"), default=dict)

    class Meta:
        verbose_name = _("master data import")
        verbose_name_plural = _("master data imports")
        ordering = ["-created_at", "-pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.get_kind_display()} – {self.file_name}"

    def get_absolute_url(self):
        return reverse("backoffice:masterdata_import_detail", args=[self.pk])

    @property
    def problems(self) -> list[str]:
        return self.report.get("problems", [])

    @property
    def rows(self) -> list[dict]:
        return self.report.get("rows", [])

    @property
    def applicable(self) -> bool:
        return self.state == self.State.PREVIEWED and not self.errors and not self.problems
