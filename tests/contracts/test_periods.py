from datetime import date

import pytest

from contracts.periods import add_months, next_period


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
        (date(2027, 2, 28), 12, date(2028, 2, 29)),  # a month end stays a month end (leap)
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 4, 30), 1, date(2026, 5, 31)),
        (date(2026, 3, 15), 6, date(2026, 9, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("current_end", "months", "expected"),
    [
        (date(2026, 12, 31), 12, (date(2027, 1, 1), date(2027, 12, 31))),
        (date(2027, 2, 28), 12, (date(2027, 3, 1), date(2028, 2, 29))),
        (date(2028, 2, 29), 12, (date(2028, 3, 1), date(2029, 2, 28))),
        (date(2026, 6, 14), 6, (date(2026, 6, 15), date(2026, 12, 14))),
        (date(2026, 1, 31), 1, (date(2026, 2, 1), date(2026, 2, 28))),
    ],
)
def test_the_next_period_starts_the_day_after_and_lasts_the_renewal_months(
    current_end, months, expected
):
    assert next_period(current_end, months) == expected


def test_periods_follow_each_other_without_gaps_or_overlaps_for_years():
    end = date(2024, 2, 29)
    for _ in range(40):
        start, new_end = next_period(end, 3)
        assert (start - end).days == 1 and new_end > start
        end = new_end
