"""One rule for every number a user types: "," is the decimal separator; "." groups thousands
only in groups of three after a non-zero digit; anything else with a "." is refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.forms import ProductForm
from backoffice.models import Product
from backoffice.permissions import MANAGE_MASTER_DATA
from core.input import italian_number
from tests.factories import ProductFactory


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1.234,56", "1234.56"),
        ("1.234.567,8", "1234567.8"),
        ("0,125", "0.125"),
        ("1.000", "1000"),
        ("12", "12"),
        ("-1.234", "-1234"),
        (" 7,5 ", "7.5"),
        ("abc", "abc"),  # no number at all: the field refuses it with its own message
    ],
)
def test_numbers_are_read_the_italian_way(typed, read):
    assert italian_number(typed) == read


@pytest.mark.parametrize("typed", ["0.125", "1.5", "60.00", "1.0000", "01.000", "1.23.456"])
def test_a_point_that_does_not_group_thousands_is_refused(typed):
    assert italian_number(typed) is None


def product_data(**changes):
    data = {
        "code": "P-NUM",
        "description": "Prova numeri",
        "unit": "pz",
        "list_price": "1.234,5",
        "vat_rate": ProductFactory().vat_rate_id,
        "active": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1.234,5", Decimal("1234.50")), ("1.000", Decimal("1000.00")), ("0,125", None)],
)
def test_every_form_reads_a_price_by_the_same_rule(db, typed, stored):
    form = ProductForm(product_data(list_price=typed))
    if stored is None:
        assert not form.is_valid()  # 0,125 has three decimals: the price has two
    else:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["list_price"] == stored


def test_an_ambiguous_number_is_refused_with_an_explanation(db):
    form = ProductForm(product_data(list_price="0.125"))
    assert not form.is_valid()
    assert "virgola" in str(form.errors["list_price"])


def test_the_stored_value_is_shown_back_as_understood(client, make_user):
    client.force_login(make_user(MANAGE_MASTER_DATA))
    client.post(reverse("backoffice:masterdata_create", args=["prodotti"]), product_data())
    product = Product.objects.get(code="P-NUM")
    assert product.list_price == Decimal("1234.50")
    page = client.get(reverse("backoffice:masterdata_update", args=["prodotti", product.pk]))
    assert 'value="1.234,50"' in page.content.decode()


def test_a_refused_form_shows_the_numbers_as_typed_or_as_read(client, make_user):
    client.force_login(make_user(MANAGE_MASTER_DATA))
    response = client.post(
        reverse("backoffice:masterdata_create", args=["prodotti"]),
        product_data(code="", list_price="2.345,6"),
    )
    assert response.status_code in (200, 422)
    # Shown back the Italian way, so posting the page again reads the same number.
    assert 'value="2.345,60"' in response.content.decode() or 'value="2.345,6"' in (
        response.content.decode()
    )
