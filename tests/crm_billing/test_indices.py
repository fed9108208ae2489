"""The ISTAT FOI table: entered by month, imported from CSV (all or nothing), and read by the
Scadenzario, where a missing index is a reason."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from contracts.periods import add_months
from crm_billing.models import BillingProfile, ConsumerPriceIndex
from crm_billing.permissions import CONFIGURE_BILLING
from crm_billing.services.indices import revaluation_for
from tests.conftest import configure_all_cases
from tests.factories import ContractFactory, UserFactory

URL = "administration:price_indices"


def upload(client, content: bytes):
    return client.post(
        reverse(URL),
        {"import-file": SimpleUploadedFile("foi.csv", content, content_type="text/csv")},
        follow=True,
    )


@pytest.fixture
def admin(client, db):
    client.force_login(UserFactory(functions=[CONFIGURE_BILLING]))
    return client


def test_one_month_is_entered_with_a_decimal_comma(admin):
    admin.post(reverse(URL), {"index-year": "2026", "index-month": "9", "index-value": "122,1"})
    assert ConsumerPriceIndex.objects.get(year=2026, month=9).value == Decimal("122.1")
    page = admin.get(reverse(URL)).content.decode()
    assert "122,1" in page


def test_a_csv_file_is_imported_and_importing_it_again_changes_nothing(admin):
    content = b"anno;mese;indice\n2025;9;119,9\n2025;10;120,1\n2026;9;122,1\n"
    response = upload(admin, content)
    assert "3 mesi importati" in response.content.decode()
    assert ConsumerPriceIndex.objects.count() == 3
    upload(admin, content)
    assert ConsumerPriceIndex.objects.count() == 3
    assert ConsumerPriceIndex.objects.get(year=2025, month=10).value == Decimal("120.1")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        # A good row first: it must not be written either.
        (b"2026;1;999,9\n2026;13;120,0\n", "fuori intervallo"),
        (b"2026;1;999,9\n2026;9;120,0\n2026;9;121,0\n", "due volte"),
        (b"2026;1;999,9\n2026;9\n", "servono anno, mese e indice"),
        (b"2026;1;999,9\n2026;9;0.125\n", "non sono un anno"),
        (b"2026;1;999,9\n2026;9;NaN\n", "non sono un anno"),  # Decimal reads it: no 500
        (b"2026;1;999,9\n2026;9;Infinity\n", "non sono un anno"),
        (b"\xff\xfe2026;9;120\n", "UTF-8"),
        (b"anno;mese;indice\n", "non contiene alcun indice"),
    ],
)
def test_a_bad_file_changes_nothing_and_says_why(admin, content, problem):
    ConsumerPriceIndex.objects.create(year=2026, month=1, value=Decimal("121.0"))
    response = upload(admin, content)
    assert problem in response.content.decode()
    assert ConsumerPriceIndex.objects.get().value == Decimal("121.0")  # all or nothing


def test_the_reference_month_is_the_month_before_the_renewal_starts(db):
    for year, month, value in [(2027, 2, "110.0"), (2028, 2, "112.2")]:
        ConsumerPriceIndex.objects.create(year=year, month=month, value=Decimal(value))
    revaluation = revaluation_for(date(2028, 3, 1))
    assert (revaluation.reference, revaluation.earlier) == ((2028, 2), (2027, 2))
    assert revaluation.variation_percent == Decimal("2.0")


def test_the_scadenzario_says_which_index_is_missing(client, db):
    profile = configure_all_cases()[BillingProfile.Case.RENEWAL]
    profile.renewal_pricing = BillingProfile.RenewalPricing.INDEXED_LAST_COST
    profile.save()
    today = timezone.localdate()
    contract = ContractFactory(
        start_date=today - timedelta(days=340),
        end_date=today + timedelta(days=20),
        customer_cost=Decimal("1500.00"),
        indexed=True,
    )
    client.force_login(UserFactory(functions=["contracts.manage_contracts"]))
    page = client.get(reverse("billing:renewals_due")).content.decode()
    start = contract.end_date + timedelta(days=1)
    reference = add_months(start.replace(day=1), -1)
    assert f"manca l'indice ISTAT FOI di {reference.month:02}/{reference.year}" in page.replace(
        "&#x27;", "'"
    )
    response = client.post(reverse("billing:contract_renew", args=[contract.pk]), follow=True)
    assert contract.renewals.count() == 0
    assert "manca l" in response.content.decode()
