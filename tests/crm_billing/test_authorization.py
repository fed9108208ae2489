"""Walks every URL of the project with every role and compares the answer with the table.

A URL that is not in the table fails the test, so a new page cannot slip in unchecked."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from backoffice.models import MasterDataImport
from backoffice.permissions import MANAGE_MASTER_DATA, MANAGE_ORDERS, SEND_TO_ERP
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.models import BillingRun
from crm_billing.permissions import CONFIGURE_BILLING, MANAGE_USERS
from tests.conftest import ROLE_FUNCTIONS
from tests.factories import (
    ActivityFactory,
    ContractFactory,
    ContractRateFactory,
    PrepaidHoursFactory,
    PriceListItemFactory,
    RenewalFactory,
    UserFactory,
)
from tickets.permissions import MANAGE_TICKETS

PUBLIC = "public"
LOGIN = "login"
STAFF = "staff"

# url name → (method, who may use it)
TABLE = {
    "home": ("get", LOGIN),
    "health": ("get", PUBLIC),
    "login": ("get", PUBLIC),
    "logout": ("post", LOGIN),
    "set_language": ("post", PUBLIC),
    "backoffice:order_list": ("get", MANAGE_ORDERS),
    "backoffice:order_create": ("get", MANAGE_ORDERS),
    "backoffice:order_detail": ("get", MANAGE_ORDERS),
    "backoffice:order_pdf": ("get", MANAGE_ORDERS),
    "backoffice:order_header_update": ("post", MANAGE_ORDERS),
    "backoffice:order_line_add": ("post", MANAGE_ORDERS),
    "backoffice:order_line_update": ("post", MANAGE_ORDERS),
    "backoffice:order_line_delete": ("post", MANAGE_ORDERS),
    "backoffice:order_line_edit": ("get", MANAGE_ORDERS),
    "backoffice:order_line_row": ("get", MANAGE_ORDERS),
    "backoffice:order_cancel": ("get", MANAGE_ORDERS),
    "backoffice:order_send": ("post", SEND_TO_ERP),
    "backoffice:transmission_resend": ("post", SEND_TO_ERP),
    "backoffice:order_transmissions": ("get", MANAGE_ORDERS),
    "backoffice:masterdata_list": ("get", MANAGE_MASTER_DATA),
    "backoffice:masterdata_create": ("get", MANAGE_MASTER_DATA),
    "backoffice:masterdata_update": ("get", MANAGE_MASTER_DATA),
    "backoffice:masterdata_delete": ("get", MANAGE_MASTER_DATA),
    "backoffice:masterdata_import": ("get", MANAGE_MASTER_DATA),
    "backoffice:masterdata_import_detail": ("get", MANAGE_MASTER_DATA),
    "backoffice:masterdata_import_apply": ("post", MANAGE_MASTER_DATA),
    "administration:user_list": ("get", MANAGE_USERS),
    "administration:user_create": ("get", MANAGE_USERS),
    "administration:user_update": ("get", MANAGE_USERS),
    "administration:user_deactivate": ("get", MANAGE_USERS),
    "administration:user_activate": ("get", MANAGE_USERS),
    "contracts:contract_list": ("get", MANAGE_CONTRACTS),
    "contracts:renewal_list": ("get", MANAGE_CONTRACTS),
    "contracts:contract_create": ("get", MANAGE_CONTRACTS),
    "contracts:contract_detail": ("get", MANAGE_CONTRACTS),
    "contracts:customer_orders": ("get", MANAGE_CONTRACTS),
    "contracts:renewal_create": ("get", MANAGE_CONTRACTS),
    "contracts:renewal_detail": ("get", MANAGE_CONTRACTS),
    "billing:contract_new_order": ("post", MANAGE_CONTRACTS),
    "billing:renewal_new_order": ("post", MANAGE_CONTRACTS),
    "billing:renewals_due": ("get", MANAGE_CONTRACTS),
    "billing:contract_renew": ("post", MANAGE_CONTRACTS),
    "billing:renew_and_bill_preview": ("post", MANAGE_CONTRACTS),
    "contracts:contract_cancel": ("post", MANAGE_CONTRACTS),
    "contracts:contract_rate_add": ("post", MANAGE_CONTRACTS),
    "contracts:contract_rate_delete": ("get", MANAGE_CONTRACTS),
    "contracts:prepaid_hours_add": ("post", MANAGE_CONTRACTS),
    "contracts:prepaid_hours_delete": ("get", MANAGE_CONTRACTS),
    "administration:billing_configuration": ("get", CONFIGURE_BILLING),
    "administration:product_options": ("get", CONFIGURE_BILLING),
    "administration:price_indices": ("get", CONFIGURE_BILLING),
    "tickets:ticket_list": ("get", MANAGE_TICKETS),
    "tickets:customer_contracts": ("get", MANAGE_TICKETS),
    "tickets:ticket_create": ("get", MANAGE_TICKETS),
    "tickets:ticket_detail": ("get", MANAGE_TICKETS),
    "tickets:activity_create": ("get", MANAGE_TICKETS),
    "tickets:activity_update": ("get", MANAGE_TICKETS),
    "tickets:activity_delete": ("get", MANAGE_TICKETS),
    "billing:ticket_create_order": ("post", MANAGE_TICKETS),
    "billing:bill_activities_preview": ("post", MANAGE_TICKETS),
    "billing:billing_run_confirm": ("post", MANAGE_TICKETS),
    "billing:billing_run_detail": ("get", MANAGE_TICKETS),
    "billing:billing_run_resume": ("post", MANAGE_TICKETS),
    "billing:billing_dashboard": ("get", MANAGE_TICKETS),
    "billing:dashboard_slice_preview": ("post", MANAGE_TICKETS),
    "admin:index": ("get", STAFF),
}

ROLES = ["anonymous", *ROLE_FUNCTIONS, "admin"]


def project_url_names(patterns=None, namespace=""):
    """Every named URL outside the Django admin (whose own pages are checked by admin:index)."""
    names = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace != "admin":
                names += project_url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def test_every_url_is_in_the_table():
    missing = sorted(set(project_url_names()) - set(TABLE))
    assert missing == [], f"URLs without a declared access rule: {missing}"


def url_for(name, order, user):
    contract = ContractFactory(customer=order.customer)
    renewal = RenewalFactory(contract=contract)
    activity = ActivityFactory(ticket__customer=order.customer)
    run = BillingRun.objects.create(actor=user)
    rate = ContractRateFactory(contract=contract)
    package = PrepaidHoursFactory(contract=contract)
    price = PriceListItemFactory()
    import_ = MasterDataImport.objects.create(
        kind=MasterDataImport.Kind.CUSTOMERS, file_name="clienti.csv", content=b"", actor=user
    )
    kwargs = {
        "backoffice:order_detail": [order.pk],
        "backoffice:order_pdf": [order.pk],
        "backoffice:order_header_update": [order.pk],
        "backoffice:order_line_add": [order.pk],
        "backoffice:order_line_update": [order.pk, order.lines.first().pk],
        "backoffice:order_line_delete": [order.pk, order.lines.first().pk],
        "backoffice:order_line_edit": [order.pk, order.lines.first().pk],
        "backoffice:order_line_row": [order.pk, order.lines.first().pk],
        "backoffice:order_cancel": [order.pk],
        "backoffice:order_send": [order.pk],
        "backoffice:transmission_resend": [order.pk, 1],
        "backoffice:order_transmissions": [order.pk],
        "backoffice:masterdata_list": ["clienti"],
        "backoffice:masterdata_create": ["prodotti"],
        "backoffice:masterdata_update": ["clienti", order.customer_id],
        "backoffice:masterdata_delete": ["prezzi-listino", price.pk],
        "backoffice:masterdata_import_detail": [import_.pk],
        "backoffice:masterdata_import_apply": [import_.pk],
        "contracts:contract_detail": [contract.pk],
        "contracts:renewal_create": [contract.pk],
        "contracts:renewal_detail": [renewal.pk],
        "billing:contract_new_order": [contract.pk],
        "billing:renewal_new_order": [renewal.pk],
        "billing:contract_renew": [contract.pk],
        "contracts:contract_cancel": [contract.pk],
        "contracts:contract_rate_add": [contract.pk],
        "contracts:contract_rate_delete": [rate.pk],
        "contracts:prepaid_hours_add": [contract.pk],
        "contracts:prepaid_hours_delete": [package.pk],
        "tickets:ticket_detail": [activity.ticket_id],
        "tickets:activity_create": [activity.ticket_id],
        "tickets:activity_update": [activity.pk],
        "tickets:activity_delete": [activity.pk],
        "billing:ticket_create_order": [activity.ticket_id],
        "billing:billing_run_detail": [run.pk],
        "billing:billing_run_resume": [run.pk],
        "billing:billing_run_confirm": [run.pk],
        "administration:user_update": [user.pk],
        "administration:user_deactivate": [user.pk],
        "administration:user_activate": [user.pk],
    }
    return reverse(name, args=kwargs.get(name, []))


def expected_access(rule, role):
    if rule == PUBLIC:
        return True
    if role == "anonymous":
        return False
    if role == "admin":
        return True
    if rule == LOGIN:
        return True
    if rule == STAFF:
        return False
    return rule in ROLE_FUNCTIONS[role]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_says(client, order, role):
    other = UserFactory(username="altro")
    if role == "admin":
        user = UserFactory(username="root", is_superuser=True, is_staff=True)
    elif role != "anonymous":
        user = UserFactory(username=f"role-{role}", functions=ROLE_FUNCTIONS[role])
    wrong = []
    for name, (method, rule) in TABLE.items():
        if role != "anonymous":
            client.force_login(user)  # again each time: one of the URLs logs out
        url = url_for(name, order, other)
        # Writes are checked with an empty form: enough to pass or fail the access check.
        response = getattr(client, method)(url, {})
        allowed = expected_access(rule, role)
        location = response.get("Location", "")
        if allowed:
            # Allowed: anything but a refusal, a bounce to the login page or a crash.
            ok = response.status_code not in (403, 405) and response.status_code < 500
            ok = ok and "?next=" not in location
        elif rule == STAFF:
            ok = response.status_code == 302 and location.startswith("/admin/login/")
        elif role == "anonymous":
            ok = response.status_code == 302 and location.startswith("/accesso/?next=")
        else:
            ok = response.status_code == 403
        if not ok:
            wrong.append((name, response.status_code))
    assert wrong == []
