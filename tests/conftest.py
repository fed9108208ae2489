from decimal import Decimal

import pytest
from pytest_django.django_compat import is_django_unittest

from backoffice import services
from backoffice.permissions import MANAGE_MASTER_DATA, MANAGE_ORDERS, SEND_TO_ERP
from contracts.models import Contract
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.models import BillingProfile
from crm_billing.permissions import CONFIGURE_BILLING, MANAGE_USERS
from tests.factories import (
    CustomerFactory,
    DealSubjectFactory,
    OrderTypeFactory,
    ProductFactory,
    UserFactory,
)
from tests.sequences import start_sequences_high
from tickets.permissions import MANAGE_TICKETS


@pytest.fixture(autouse=True)
def contracts_keep_their_current_end(request):
    """After every test that used the database, each contract's stored current end is the end
    of its periods: a path (a service, the admin, a bulk run, a builder) that adds or changes a
    renewal, or a contract's end date, without ContractQuerySet.store_current_end() fails the
    test that took it."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if is_django_unittest(request) or not (marker or names & {"db", "transactional_db"}):
        yield
        return
    transactional = "transactional_db" in names or bool(
        marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    )
    # Set up first, so the check below runs before the test's rows are rolled back.
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    stale = list(Contract.objects.with_current_end_not_stored().values_list("number", flat=True))
    assert not stale, f"contracts whose current_end was not stored again: {stale}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, its sequences started above 10,000 (tests/sequences.py). Rows made by
    migrations (content types, permissions) keep their ids; every row a test makes is high."""
    with django_db_blocker.unblock():
        start_sequences_high()


# Each role of the authorization table: a user with exactly these functions.
ROLE_FUNCTIONS = {
    "no_function": [],
    "manage_orders": [MANAGE_ORDERS],
    "manage_master_data": [MANAGE_MASTER_DATA],
    "send_to_erp": [SEND_TO_ERP],
    "configure_billing": [CONFIGURE_BILLING],
    "manage_users": [MANAGE_USERS],
    "manage_contracts": [MANAGE_CONTRACTS],
    "manage_tickets": [MANAGE_TICKETS],
}


@pytest.fixture
def make_user(db):
    def make(*functions, **kwargs):
        return UserFactory(functions=list(functions), **kwargs)

    return make


@pytest.fixture
def backoffice_user(make_user):
    return make_user(MANAGE_ORDERS, MANAGE_MASTER_DATA, SEND_TO_ERP, username="backoffice")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def order(db, backoffice_user):
    """A draft order of two lines at 22%: 2 h × 50,00 and 1 × 35,00."""
    product = ProductFactory(list_price=Decimal("50.00"))
    other = ProductFactory(list_price=Decimal("35.00"), vat_rate=product.vat_rate)
    return services.create_order(
        order_type=OrderTypeFactory(),
        customer=CustomerFactory(),
        actor=backoffice_user,
        lines=[
            services.LineDraft(
                product=product,
                description="Intervento",
                quantity=Decimal("2"),
                unit_price=product.list_price,
            ),
            services.LineDraft(
                product=other,
                description="Diritto di chiamata",
                quantity=Decimal("1"),
                unit_price=other.list_price,
            ),
        ],
    )


@pytest.fixture
def configured(db):
    """All three cases configured; the product's list price is 1.200,00."""
    return configure_all_cases()


def configure_all_cases():
    product = ProductFactory(list_price=Decimal("1200.00"))
    order_type = OrderTypeFactory(code="OC", numbering_pattern="{code}/{year}/{seq:05}")
    profiles = {}
    for case in BillingProfile.Case.values:
        profile = BillingProfile.objects.for_case(case)
        profile.order_type = order_type
        profile.deal_subject = DealSubjectFactory()
        profile.product = product
        profile.save()
        profiles[case] = profile
    return profiles
