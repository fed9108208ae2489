from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from backoffice import money

VAT22 = SimpleNamespace(pk=1, rate=Decimal("22"), code="22")
VAT10 = SimpleNamespace(pk=2, rate=Decimal("10"), code="10")


def test_line_amount_is_rounded_to_the_cent_half_up():
    assert money.line_net_amount(Decimal("1"), Decimal("0.125"), Decimal("0")) == Decimal("0.13")
    assert money.line_net_amount(Decimal("3"), Decimal("33.33"), Decimal("10")) == Decimal("89.99")


def test_vat_is_computed_once_per_rate_on_the_sum_of_its_lines():
    # Three lines of 0,05 at 22%: per line VAT would be 3 × 0,01 = 0,03; on the sum it is 0,03
    # as well, but 0,15 × 22% = 0,033 → 0,03. Use amounts where the two differ:
    # 0,03 × 22% = 0,0066 → 0,01 per line (× 3 = 0,03); on the sum 0,09 × 22% = 0,0198 → 0,02.
    summary = money.vat_summary([(VAT22, Decimal("0.03"))] * 3)
    assert summary.total_vat == Decimal("0.02")
    assert summary.total == Decimal("0.11")


def test_vat_summary_groups_by_rate_highest_first():
    summary = money.vat_summary(
        [(VAT10, Decimal("100.00")), (VAT22, Decimal("10.00")), (VAT10, Decimal("5.55"))]
    )
    assert [(row.vat_rate.code, row.taxable, row.vat) for row in summary.rows] == [
        ("22", Decimal("10.00"), Decimal("2.20")),
        ("10", Decimal("105.55"), Decimal("10.56")),
    ]
    assert summary.total_net == Decimal("115.55")
    assert summary.total == Decimal("128.31")


amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False)


@given(st.lists(st.tuples(st.sampled_from([VAT22, VAT10]), amounts), max_size=30))
def test_totals_are_cents_and_add_up(lines):
    summary = money.vat_summary(lines)
    assert summary.total_net == sum((amount for _rate, amount in lines), Decimal("0"))
    for row in summary.rows:
        assert row.vat == row.vat.quantize(Decimal("0.01"))
        assert abs(row.vat - row.taxable * row.vat_rate.rate / 100) <= Decimal("0.005")
    assert summary.total == summary.total_net + summary.total_vat
