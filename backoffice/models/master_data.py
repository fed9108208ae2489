"""Commercial master data: customers, products/services with list price, customer price lists,
order types, deal subjects, payment terms, VAT rates and exemptions, agents."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.validators import (
    validate_numbering_pattern,
    validate_partita_iva,
    validate_tax_code,
)

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class MasterData(models.Model):
    """Records that orders point at: never deleted once used, switched off instead. Every change
    is kept (who, when, before and after), for each kind of master data."""

    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(inherit=True)

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


class PriceList(MasterData):
    """Listino cliente: the prices agreed with the customers it is given to."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
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
    price_list = models.ForeignKey(
        PriceList,
        verbose_name=_("price list"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        # The lists' customer dropdowns read the first customers by name (core.filters
        # CHOICES_SHOWN): an index keeps that constant with thousands of customers.
        indexes = [models.Index(fields=["name"], name="customer_name")]
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


class AgreedPrice(models.Model):
    """A price agreed for one product/service by the record named in OWNER (a customer's price
    list, a contract): one per product, never negative, every change kept. Generated orders
    copy it, so changing it later never changes an order."""

    OWNER = ""

    product = models.ForeignKey(
        Product, verbose_name=_("product/service"), on_delete=models.PROTECT, related_name="+"
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, validators=NOT_NEGATIVE
    )

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="%(class)s_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{getattr(self, self.OWNER)} – {self.product.code}"


class PriceListItem(AgreedPrice):
    """The price of one product in one price list."""

    OWNER = "price_list"

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items"
    )

    class Meta:
        verbose_name = _("price list price")
        verbose_name_plural = _("price list prices")
        ordering = ["price_list", "product__code"]
        constraints = [
            *AgreedPrice.Meta.constraints,
            models.UniqueConstraint(
                fields=["price_list", "product"], name="%(class)s_one_price_per_product"
            ),
        ]


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
