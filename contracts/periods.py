"""Contract periods: the next one after a period ends, month ends and leap years included."""

import calendar
from datetime import date, timedelta


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a month end stays a month end (28/02/2027 + 12 months is
    29/02/2028), a day the target month lacks becomes its last (31/01 + 1 month is 28/02 or
    29/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if day.day == _last_day(day.year, day.month):
        return date(year, month, _last_day(year, month))
    return date(year, month, min(day.day, _last_day(year, month)))


def next_period(current_end: date, months: int) -> tuple[date, date]:
    """The renewal period after one that ends on `current_end`: from the next day, for
    `months` months."""
    return current_end + timedelta(days=1), add_months(current_end, months)
