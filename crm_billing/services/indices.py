"""The ISTAT FOI index by month: the table (entered on its page or imported from a CSV file)
and the revaluation the "indexed" renewal rule applies."""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.periods import add_months
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
from core.input import italian_number
from crm_billing.models import ConsumerPriceIndex
from crm_billing.permissions import CONFIGURE_BILLING

Month = tuple[int, int]  # (year, month)


class IndexMissing(DomainError):
    def __init__(self, month: Month):
        self.month = month
        super().__init__(
            _("the ISTAT FOI index of %(month)s is missing: enter it on the indices page")
            % {"month": shown(month)}
        )


class ImportRefused(DomainError):
    default_message = gettext_lazy("The file was not imported.")

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__()


def shown(month: Month) -> str:
    return f"{month[1]:02}/{month[0]}"


@dataclass(frozen=True)
class Revaluation:
    """The variation of the index between two months a year apart, in percent, rounded to one
    decimal as ISTAT publishes it."""

    reference: Month
    earlier: Month
    reference_value: Decimal
    earlier_value: Decimal

    @property
    def variation_percent(self) -> Decimal:
        ratio = self.reference_value / self.earlier_value - 1
        return (ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def foi_indices() -> dict[Month, Decimal]:
    """The whole table (a few hundred rows): read once per page, however many contracts."""
    return {
        (year, month): value
        for year, month, value in ConsumerPriceIndex.objects.values_list("year", "month", "value")
    }


def revaluation_for(start: date, *, indices: dict[Month, Decimal] | None = None) -> Revaluation:
    """The revaluation of a renewal starting on `start`: the index of the reference month
    (ISTAT_REFERENCE_MONTHS_BEFORE months before) against the same month a year earlier.
    IndexMissing names the month missing: never a silent 0 %."""
    indices = foi_indices() if indices is None else indices
    reference_day = add_months(start.replace(day=1), -settings.ISTAT_REFERENCE_MONTHS_BEFORE)
    reference = (reference_day.year, reference_day.month)
    earlier = (reference[0] - 1, reference[1])
    for month in (reference, earlier):
        if month not in indices:
            raise IndexMissing(month)
    return Revaluation(reference, earlier, indices[reference], indices[earlier])


@transaction.atomic
def save_index(*, year: int, month: int, value: Decimal, actor: Actor) -> ConsumerPriceIndex:
    require_function(actor, CONFIGURE_BILLING)
    index, _created = ConsumerPriceIndex.objects.update_or_create(
        year=year, month=month, defaults={"value": value}
    )
    return index


def _rows(text: str):
    """The CSV's rows (";" or "," separated), without an optional header line."""
    dialect = ";" if text.count(";") >= text.count(",") else ","
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=dialect), 1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and not cells[0].isdigit():
            continue  # "anno;mese;indice"
        yield number, cells


@transaction.atomic
def import_indices(*, data: bytes, actor: Actor) -> int:
    """Import "year;month;index" rows (the index with a decimal comma, as ISTAT's tables give
    it). All or nothing: any bad row refuses the whole file, with every problem listed; a month
    already present gets the file's value. Returns the number of months written."""
    require_function(actor, CONFIGURE_BILLING)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused([_("The file is not UTF-8 text.")]) from error
    values, problems = {}, []
    for number, cells in _rows(text):
        if len(cells) != 3:
            problems.append(_("Row %(n)s: expected year, month and index.") % {"n": number})
            continue
        year, month, raw = cells
        canonical = italian_number(raw)
        try:
            year, month, value = int(year), int(month), Decimal(canonical or "x")
            if not value.is_finite():  # "NaN", "Infinity": Decimal reads them
                raise ValueError(raw)
        except (ValueError, ArithmeticError):
            problems.append(_("Row %(n)s: not a year, a month and an index.") % {"n": number})
            continue
        if not (1990 <= year <= 2100 and 1 <= month <= 12 and Decimal("0") < value < 10_000):
            problems.append(_("Row %(n)s: year, month or index out of range.") % {"n": number})
        elif (year, month) in values:
            problems.append(
                _("Row %(n)s: %(month)s appears twice.")
                % {"n": number, "month": shown((year, month))}
            )
        else:
            values[(year, month)] = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if problems or not values:
        raise ImportRefused(problems or [_("The file holds no index.")])
    # One upsert, whatever the file's length: a month already present takes the file's value.
    ConsumerPriceIndex.objects.bulk_create(
        [
            ConsumerPriceIndex(year=year, month=month, value=value)
            for (year, month), value in values.items()
        ],
        update_conflicts=True,
        unique_fields=["year", "month"],
        update_fields=["value"],
    )
    return len(values)
