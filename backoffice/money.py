"""Money arithmetic of invariant 4: Decimal only, lines rounded to the cent, VAT computed per
rate on the sum of that rate's lines, ROUND_HALF_UP (the Italian e-invoice rule)."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
# The largest amount a line or an order can hold: the amount columns have 14 digits, 2 of them
# decimals. Anything computed beyond it is refused before it reaches the database.
AMOUNT_MAX = Decimal("999999999999.99")


def fits_amount(value: Decimal) -> bool:
    return abs(value) <= AMOUNT_MAX


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_net_amount(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    gross = quantity * unit_price
    if not discount_percent:  # most lines: the same amount, without the discount's arithmetic
        return gross.quantize(CENT, rounding=ROUND_HALF_UP)
    return to_cents(gross - gross * discount_percent / HUNDRED)


@dataclass(frozen=True)
class VatRow:
    vat_rate: object  # backoffice.VatRate
    taxable: Decimal
    vat: Decimal


@dataclass(frozen=True)
class VatSummary:
    rows: list[VatRow]
    total_net: Decimal
    total_vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.total_net + self.total_vat


def vat_summary(rate_and_amounts) -> VatSummary:
    """Group (vat_rate, net_amount) pairs by rate; VAT is rounded once per rate, not per line."""
    taxable_by_rate = defaultdict(Decimal)
    rates = {}
    for vat_rate, amount in rate_and_amounts:
        pk = vat_rate.pk
        taxable_by_rate[pk] += amount
        rates[pk] = vat_rate
    rows = [
        VatRow(rates[pk], taxable, to_cents(taxable * rates[pk].rate / HUNDRED))
        for pk, taxable in taxable_by_rate.items()
    ]
    rows.sort(key=lambda row: (-row.vat_rate.rate, row.vat_rate.code))
    return VatSummary(
        rows=rows,
        total_net=sum((row.taxable for row in rows), Decimal("0.00")),
        total_vat=sum((row.vat for row in rows), Decimal("0.00")),
    )
