"""Bad input, tried systematically (issue 6, item 4).

Every form the project posts is sent once per field and hostile value, as a user who holds every
function, so that the permission check passes and the form itself is exercised. The answer must be
a refusal (a 4xx, or the form again with its errors in Italian, or an error message) that changed
no row, or, only where the value is a legitimate one for that field, an acceptance whose page
shows the value escaped. Never a 500.

The forms come from the authorization test's TABLE: every URL is classified (form, POST without
fields, page), and the pages are read to check that every field a browser posts is fuzzed here.
Each hostile post runs in a savepoint that is rolled back, so one test exercises every value of a
field against the same starting data.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import DecimalValidator, MaxValueValidator, MinValueValidator
from django.db import connection, transaction
from django.forms.formsets import ManagementForm
from django.forms.widgets import ChoiceWidget
from django.http import QueryDict
from django.template.context import BaseContext
from django.test.client import ClientHandler
from django.test.utils import ContextList
from django.urls import resolve, reverse
from django.utils import translation
from django.utils.html import escape

from backoffice import forms as backoffice_forms
from backoffice import services
from backoffice.filters import OrderFilter
from backoffice.models import Agent, MasterDataImport, Order
from backoffice.permissions import MANAGE_MASTER_DATA, MANAGE_ORDERS, SEND_TO_ERP
from backoffice.views.master_data import MASTER_DATA
from contracts.filters import ContractFilter, RenewalFilter
from contracts.forms import (
    ContractCancelForm,
    ContractForm,
    ContractRateForm,
    PrepaidHoursForm,
    RenewalForm,
)
from contracts.models import Contract, Renewal
from crm_billing.filters import RenewalsDueFilter, UserFilter
from crm_billing.forms import (
    BillingProfileForm,
    BillingSelectionForm,
    ConditionsToBeBilledForm,
    DashboardSliceForm,
    PriceIndexForm,
    PriceIndexImportForm,
    RenewalSelectionForm,
    UserCreateForm,
    UserFunctionsForm,
)
from crm_billing.models import BillingProfile, BillingRun
from tests.crm_billing.test_authorization import TABLE
from tests.factories import (
    ActivityConditionFactory,
    ActivityFactory,
    ActivityStatusFactory,
    ActivityTypeFactory,
    ContractFactory,
    ContractRateFactory,
    CustomerFactory,
    DealSubjectFactory,
    ExemptionFactory,
    OrderTypeFactory,
    PaymentTermsFactory,
    PrepaidHoursFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    RenewalFactory,
    UserFactory,
    VatRateFactory,
)
from tickets.filters import TicketFilter
from tickets.forms import ActivityForm, MaterialFormSet, TicketForm
from tickets.models import Activity, Ticket

SCRIPT = "<script>alert(1)</script>"
NUL = "\x00"
# (label, value): the label names the value in failure reports.
HOSTILE = [
    ("empty", ""),
    ("very long", "x" * 5000),
    ("negative", "-1"),
    ("negative cents", "-0.01"),
    ("NaN", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ("overflow", "1e309"),
    ("non-numeric", "abc"),
    ("commas", "12,34,56"),
    # str.isdigit() says yes, int() says no: the classic hole in hand-made id checks.
    ("unicode digit", "\u00b2"),
    ("NUL byte", NUL),
    ("script", SCRIPT),
    ("unknown id", "999999999"),
    ("unknown choice", "zz-unknown"),
]
# Resolved per field: an existing row the field's choices exclude (another customer's order,
# an inactive product, a permission that is not a function...).
FOREIGN = "row outside the choices"

# Tables left out of the "no row changed" check: the session is saved on every request and axes
# records failed logins (a security log, meant to grow); content types and permissions are
# reference data no form writes (grants are in the watched user-permission table).
UNWATCHED_APPS = {"sessions", "axes", "contenttypes"}
UNWATCHED_MODELS = {"auth.Permission"}

# Words of Django's (and the project's) English messages that no Italian message contains.
ENGLISH_WORDS = re.compile(
    r"\b(the|this|that|these|must|please|enter|valid|field|required|select|choice|characters|"
    r"cannot|should|ensure|value|number|whole|greater|less|than|between|digits|already|exists|"
    r"invalid|with|before|after|correct|tick|order|only)\b",
    re.IGNORECASE,
)


# --- The forms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormCase:
    """One form of the project, as its view builds it.

    `build(world, data)` returns the form the view validates (bound when data is given);
    `values(world)` the values a user types into it on top of its initial data, to make a valid
    post; `companions(world)` the other forms of the same page, posted along unchanged; `extra`
    raw keys posted along (buttons)."""

    name: str
    url_name: str
    form_class: type
    build: Any
    args: Any = lambda world: []
    values: Any = lambda world: {}
    companions: Any = lambda world: []
    extra: Any = lambda world: {}
    drop: tuple = ()
    anonymous: bool = False
    kind: str | None = None  # the master-data kind, part of the URL

    @property
    def field_names(self):
        return [name for name in self.form_class.base_fields if name not in self.drop]


class RedirectTarget(forms.CharField):
    """A "next" parameter: where to go afterwards, checked by Django before it is followed."""

    def __init__(self):
        super().__init__(required=False)


class SetLanguageFields(forms.Form):
    """What django.views.i18n.set_language reads (the language switch in the menu bar)."""

    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = RedirectTarget()


class RenewNextField(forms.Form):
    """ "Rinnova" on a Scadenzario row posts the list's address, to go back to it."""

    next = RedirectTarget()


class LoginNextField(forms.Form):
    """The login page posts where to go after logging in."""

    next = RedirectTarget()


def _profile_form(case):
    def build(world, data):
        profile = BillingProfile.objects.for_case(case)
        return BillingProfileForm(data, instance=profile, prefix=case)

    return build


def _profile_forms(world):
    return [_profile_form(case)(world, None) for case in BillingProfile.Case.values] + [
        ConditionsToBeBilledForm(prefix="conditions")
    ]


def _new_activity(world):
    return Activity(ticket=world.ticket, technician=world.admin)


def _materials(activity, data=None):
    return MaterialFormSet(data, instance=activity, prefix="materials")


def _materials_posted_along(activity):
    """The activity page's materials as the browser posts them untouched: the management form
    and the empty rows."""
    formset = _materials(activity)
    return [formset.management_form, *formset.forms]


def ACTIVITY_VALUES(world):  # noqa: N802 - a table of values, as the cases' `values`
    return {
        "date": "2026-10-03",
        "description": "Verifica impianto",
        "duration_minutes": "45",
        "status": world.activity.status_id,
        "condition": world.activity.condition_id,
    }


def _material_cases(page, activity_of, activity_values, *, ticket=False):
    """The activity page's materials: a row (with the formset's hidden fields), and the
    formset's management form, each posted with the rest of the page as a browser does."""

    def args(world):
        return [world.ticket.pk] if ticket else [activity_of(world).pk]

    def activity_form(world):
        return ActivityForm(instance=activity_of(world))

    return [
        FormCase(
            f"{page}[material]",
            f"tickets:{page}",
            MaterialRow,
            lambda world, data: _materials(activity_of(world), data).forms[0],
            args=args,
            values=lambda world: {
                "product": world.product.pk,
                "quantity": "2",
                "description": "Filtro aria",
            },
            companions=lambda world: [
                activity_form(world),
                _materials(activity_of(world)).management_form,
                *_materials(activity_of(world)).forms[1:],
            ],
            extra=activity_values,
        ),
        FormCase(
            f"{page}[materials]",
            f"tickets:{page}",
            ManagementForm,
            lambda world, data: _materials(activity_of(world), data).management_form,
            args=args,
            companions=lambda world: [activity_form(world), *_materials(activity_of(world)).forms],
            extra=activity_values,
        ),
    ]


class MaterialRow(forms.Form):
    """The fields a row of the materials posts: its own and the formset's hidden ones."""

    id = forms.CharField(required=False)
    activity = forms.CharField(required=False)
    product = forms.CharField(required=False)
    quantity = forms.CharField(required=False)
    description = forms.CharField(required=False)


def _other_profile_forms(prefix):
    return lambda world: [form for form in _profile_forms(world) if form.prefix != prefix]


MASTER_DATA_VALUES = {
    "clienti": lambda world: {"code": "C-NUOVO", "name": "Nuovo cliente S.r.l."},
    "prodotti": lambda world: {
        "code": "P-NUOVO",
        "description": "Nuovo servizio",
        "unit": "h",
        "list_price": "10,00",
        "vat_rate": world.vat.pk,
    },
    "tipi-ordine": lambda world: {"code": "TN", "name": "Nuovo tipo"},
    "oggetti-trattativa": lambda world: {"name": "Nuovo oggetto"},
    "pagamenti": lambda world: {"code": "PN", "name": "Bonifico 90 gg"},
    "aliquote-iva": lambda world: {"code": "10", "description": "IVA 10%", "rate": "10"},
    "agenti": lambda world: {"code": "AGN", "name": "Nuovo agente"},
    "listini": lambda world: {"code": "LRIV", "name": "Listino rivenditori"},
    "prezzi-listino": lambda world: {
        "price_list": world.price_list.pk,
        "product": world.product.pk,
        "unit_price": "1.150,00",
    },
    "tipi-attivita": lambda world: {
        "name": "Manutenzione presso il cliente",
        "product": world.product.pk,
        "on_site": "on",
    },
    "stati-attivita": lambda world: {"name": "In attesa del cliente", "kind": "in_progress"},
    "condizioni-attivita": lambda world: {"name": "In garanzia"},
}


def _master_data_cases():
    cases = []
    for slug, md in MASTER_DATA.items():
        cases.append(
            FormCase(
                f"masterdata_create[{slug}]",
                "backoffice:masterdata_create",
                md.form_class,
                lambda world, data, md=md: md.form_class(data),
                args=lambda world, slug=slug: [slug],
                values=MASTER_DATA_VALUES[slug],
                kind=slug,
            )
        )
        cases.append(
            FormCase(
                f"masterdata_update[{slug}]",
                "backoffice:masterdata_update",
                md.form_class,
                lambda world, data, md=md, slug=slug: md.form_class(
                    data, instance=world.master_data[slug]
                ),
                args=lambda world, slug=slug: [slug, world.master_data[slug].pk],
                kind=slug,
            )
        )
    return cases


# The ticket list's filters are a FilterSet: its form, as the list and "Fattura attività" build it.
TicketFilterForm = TicketFilter(queryset=Ticket.objects.none()).get_form_class()
# The Scadenzario's too, as the list and "Rinnova e fattura" build it.
RenewalsDueFilterForm = RenewalsDueFilter(queryset=Contract.objects.none()).get_form_class()


def _selection_values(world):
    return {"mode": "selected", "tickets": [world.ticket.pk], "cutoff": ""}


def _billing_cases(url_name, short):
    return [
        FormCase(
            f"{short}[selected]",
            url_name,
            BillingSelectionForm,
            lambda world, data: BillingSelectionForm(data),
            values=_selection_values,
        ),
        # "All tickets matching the filters": the list's filters travel along with the button.
        FormCase(
            f"{short}[filtered]",
            url_name,
            TicketFilterForm,
            lambda world, data: TicketFilter(data, queryset=Ticket.objects.all()).form,
            values=lambda world: {"customer": world.customer.pk, "to_bill": "on"},
            extra=lambda world: {"mode": "filtered", "cutoff": ""},
        ),
    ]


CASES = {
    case.name: case
    for case in [
        FormCase(
            "login",
            "login",
            AuthenticationForm,
            lambda world, data: AuthenticationForm(None, data),
            values=lambda world: {"username": world.admin.username, "password": "pw-test-123"},
            anonymous=True,
        ),
        FormCase(
            "login[next]",
            "login",
            LoginNextField,
            lambda world, data: LoginNextField(data),
            values=lambda world: {"next": "/"},
            extra=lambda world: {"username": world.admin.username, "password": "pw-test-123"},
            anonymous=True,
        ),
        FormCase(
            "set_language",
            "set_language",
            SetLanguageFields,
            lambda world, data: SetLanguageFields(data),
            values=lambda world: {"language": "en", "next": "/"},
        ),
        FormCase(
            "order_create",
            "backoffice:order_create",
            backoffice_forms.OrderCreateForm,
            lambda world, data: backoffice_forms.OrderCreateForm(data),
            values=lambda world: {
                "order_type": world.order.order_type_id,
                "customer": world.customer.pk,
                "date": "2026-10-01",
                "deal_subject": world.deal_subject.pk,
            },
        ),
        FormCase(
            "order_header_update",
            "backoffice:order_header_update",
            backoffice_forms.OrderHeaderForm,
            lambda world, data: backoffice_forms.OrderHeaderForm(data, instance=world.order),
            args=lambda world: [world.order.pk],
        ),
        FormCase(
            "order_line_add",
            "backoffice:order_line_add",
            backoffice_forms.OrderLineForm,
            lambda world, data: backoffice_forms.OrderLineForm(data, prefix="new"),
            args=lambda world: [world.order.pk],
            values=lambda world: {"product": world.product.pk, "quantity": "2"},
        ),
        FormCase(
            "order_line_update",
            "backoffice:order_line_update",
            backoffice_forms.OrderLineEditForm,
            lambda world, data: backoffice_forms.OrderLineEditForm(
                data, instance=world.line, prefix=f"line-{world.line.pk}"
            ),
            args=lambda world: [world.order.pk, world.line.pk],
        ),
        FormCase(
            "order_cancel",
            "backoffice:order_cancel",
            backoffice_forms.OrderCancelForm,
            lambda world, data: backoffice_forms.OrderCancelForm(data),
            args=lambda world: [world.order.pk],
            values=lambda world: {"reason": "Richiesta del cliente"},
        ),
        FormCase(
            "order_send",
            "backoffice:order_send",
            backoffice_forms.SendOrderForm,
            lambda world, data: backoffice_forms.SendOrderForm(data),
            args=lambda world: [world.order.pk],
            values=lambda world: {"revision": world.order.revision},
        ),
        *_master_data_cases(),
        FormCase(
            "administration:user_create",
            "administration:user_create",
            UserCreateForm,
            lambda world, data: UserCreateForm(data),
            values=lambda world: {
                "username": "nuovo.utente",
                "first_name": "Giulia",
                "last_name": "Bianchi",
                "password1": "Lungo-e-sicuro-2026",
                "password2": "Lungo-e-sicuro-2026",
            },
        ),
        FormCase(
            "administration:user_update",
            "administration:user_update",
            UserFunctionsForm,
            lambda world, data: UserFunctionsForm(data, instance=world.clerk),
            args=lambda world: [world.clerk.pk],
        ),
        FormCase(
            "contract_create",
            "contracts:contract_create",
            ContractForm,
            lambda world, data: ContractForm(data),
            values=lambda world: {
                "number": "CTR-NUOVO",
                "customer": world.customer.pk,
                "product": world.product.pk,
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
            },
        ),
        FormCase(
            "contract_detail",
            "contracts:contract_detail",
            ContractForm,
            lambda world, data: ContractForm(data, instance=world.contract),
            args=lambda world: [world.contract.pk],
        ),
        FormCase(
            "renewal_create",
            "contracts:renewal_create",
            RenewalForm,
            lambda world, data: RenewalForm(data, contract=world.contract),
            args=lambda world: [world.contract.pk],
            values=lambda world: {"start_date": "2035-01-01", "end_date": "2035-12-31"},
        ),
        FormCase(
            "renewal_detail",
            "contracts:renewal_detail",
            RenewalForm,
            lambda world, data: RenewalForm(
                data, instance=world.renewal, contract=world.renewal.contract
            ),
            args=lambda world: [world.renewal.pk],
        ),
        *[
            FormCase(
                f"billing_configuration[{case}]",
                "administration:billing_configuration",
                BillingProfileForm,
                _profile_form(case),
                companions=_other_profile_forms(case),
                drop=(() if case == BillingProfile.Case.RENEWAL else ("renewal_pricing",))
                + (
                    () if case == BillingProfile.Case.ACTIVITY else BillingProfileForm.ACTIVITY_ONLY
                ),
            )
            for case in BillingProfile.Case.values
        ],
        FormCase(
            "billing_configuration[conditions]",
            "administration:billing_configuration",
            ConditionsToBeBilledForm,
            lambda world, data: ConditionsToBeBilledForm(data, prefix="conditions"),
            companions=_other_profile_forms("conditions"),
        ),
        FormCase(
            "ticket_create",
            "tickets:ticket_create",
            TicketForm,
            lambda world, data: TicketForm(data),
            values=lambda world: {
                "customer": world.customer.pk,
                "subject": "Stampante ferma",
                "opened_on": "2026-10-01",
            },
        ),
        FormCase(
            "ticket_detail",
            "tickets:ticket_detail",
            TicketForm,
            lambda world, data: TicketForm(data, instance=world.ticket),
            args=lambda world: [world.ticket.pk],
        ),
        FormCase(
            "activity_create",
            "tickets:activity_create",
            ActivityForm,
            lambda world, data: ActivityForm(
                data, instance=Activity(ticket=world.ticket, technician=world.admin)
            ),
            args=lambda world: [world.ticket.pk],
            values=ACTIVITY_VALUES,
            companions=lambda world: _materials_posted_along(_new_activity(world)),
        ),
        FormCase(
            "activity_update",
            "tickets:activity_update",
            ActivityForm,
            lambda world, data: ActivityForm(data, instance=world.activity),
            args=lambda world: [world.activity.pk],
            companions=lambda world: _materials_posted_along(world.activity),
        ),
        *_material_cases("activity_create", _new_activity, ACTIVITY_VALUES, ticket=True),
        *_material_cases("activity_update", lambda world: world.activity, lambda world: {}),
        # "Nuovo ordine" posts the record's form as the page has it (saved first if changed).
        FormCase(
            "contract_new_order",
            "billing:contract_new_order",
            ContractForm,
            lambda world, data: ContractForm(data, instance=world.contract),
            args=lambda world: [world.contract.pk],
        ),
        FormCase(
            "renewal_new_order",
            "billing:renewal_new_order",
            RenewalForm,
            lambda world, data: RenewalForm(
                data, instance=world.renewal, contract=world.renewal.contract
            ),
            args=lambda world: [world.renewal.pk],
        ),
        *_billing_cases("billing:bill_activities_preview", "billing:bill_activities_preview"),
        # A cell of "Da fatturare": its slice, in hidden fields.
        FormCase(
            "dashboard_slice_preview",
            "billing:dashboard_slice_preview",
            DashboardSliceForm,
            lambda world, data: DashboardSliceForm(data),
            values=lambda world: {
                "customer": world.customer.pk,
                "technician": world.activity.technician_id,
                "age": "",
            },
        ),
        FormCase(
            "price_indices[month]",
            "administration:price_indices",
            PriceIndexForm,
            lambda world, data: PriceIndexForm(data, prefix="index"),
            values=lambda world: {"year": "2026", "month": "9", "value": "122,1"},
        ),
        FormCase(
            "price_indices[import]",
            "administration:price_indices",
            PriceIndexImportForm,
            lambda world, data: PriceIndexImportForm(data, prefix="import"),
            values=lambda world: {
                "file": SimpleUploadedFile("foi.csv", b"anno;mese;indice\n2026;9;122,1\n")
            },
        ),
        FormCase(
            "masterdata_import",
            "backoffice:masterdata_import",
            backoffice_forms.MasterDataImportForm,
            lambda world, data: backoffice_forms.MasterDataImportForm(data),
            values=lambda world: {
                "kind": "customers",
                "file": SimpleUploadedFile(
                    "clienti.csv", b"codice;ragione_sociale\nC10001;Rossi S.r.l.\n"
                ),
            },
        ),
        FormCase(
            "contract_cancel",
            "contracts:contract_cancel",
            ContractCancelForm,
            lambda world, data: ContractCancelForm(data),
            args=lambda world: [world.contract.pk],
            values=lambda world: {"cancelled_on": "2026-10-01"},
        ),
        FormCase(
            "renew_and_bill_preview[selected]",
            "billing:renew_and_bill_preview",
            RenewalSelectionForm,
            lambda world, data: RenewalSelectionForm(data),
            values=lambda world: {"mode": "selected", "contracts": [world.contract.pk]},
        ),
        # "All contracts listed": the Scadenzario's filters travel along with the button.
        FormCase(
            "renew_and_bill_preview[filtered]",
            "billing:renew_and_bill_preview",
            RenewalsDueFilterForm,
            lambda world, data: RenewalsDueFilter(data, queryset=Contract.objects.all()).form,
            values=lambda world: {"within_days": "3650"},
            extra=lambda world: {"mode": "filtered"},
        ),
        FormCase(
            "contract_rate_add",
            "contracts:contract_rate_add",
            ContractRateForm,
            lambda world, data: ContractRateForm(data, contract=world.contract),
            args=lambda world: [world.contract.pk],
            values=lambda world: {"product": world.product.pk, "unit_price": "1.080,00"},
        ),
        FormCase(
            "prepaid_hours_add",
            "contracts:prepaid_hours_add",
            PrepaidHoursForm,
            lambda world, data: PrepaidHoursForm(data, contract=world.contract),
            args=lambda world: [world.contract.pk],
            values=lambda world: {
                "hours": "25,50",
                "valid_from": "2030-01-01",
                "valid_to": "2030-12-31",
            },
        ),
        FormCase(
            "contract_renew[next]",
            "billing:contract_renew",
            RenewNextField,
            lambda world, data: RenewNextField(data),
            args=lambda world: [world.contract.pk],
            values=lambda world: {"next": "/fatturazione/scadenzario/"},
        ),
    ]
}

# URLs that take a POST without any field: a button (the id is in the URL, checked elsewhere).
POST_WITHOUT_FIELDS = {
    "logout",
    "backoffice:order_line_delete",
    "backoffice:transmission_resend",
    "administration:user_deactivate",
    "administration:user_activate",
    "tickets:activity_delete",
    # The confirmation pages of deleting a price of a price list, a contract rate, a package.
    "backoffice:masterdata_delete",
    "contracts:contract_rate_delete",
    "contracts:prepaid_hours_delete",
    "billing:ticket_create_order",
    "billing:billing_run_resume",
    # The confirmation of a preview posts only the run, whose id is in the URL.
    "billing:billing_run_confirm",
    # Likewise the application of a previewed import of master data.
    "backoffice:masterdata_import_apply",
}
# Pages that only read (their GET filters are fuzzed by test_hostile_filters_never_break_a_page).
READ_ONLY = {
    "home",
    "health",
    "backoffice:order_list",
    "backoffice:order_detail",
    "backoffice:order_pdf",
    "backoffice:order_transmissions",
    "backoffice:masterdata_list",
    "backoffice:masterdata_import_detail",
    "administration:user_list",
    "contracts:contract_list",
    "contracts:renewal_list",
    "contracts:customer_orders",
    "administration:product_options",
    "backoffice:order_line_edit",
    "backoffice:order_line_row",
    "tickets:customer_contracts",
    "tickets:ticket_list",
    "billing:billing_run_detail",
    "billing:renewals_due",
    "billing:billing_dashboard",
    "admin:index",
}


# --- The data every test starts from ------------------------------------------------------------


@pytest.fixture(scope="module")
def handler():
    """One request handler for the module, as one server process has: building the middleware
    chain (WhiteNoise indexes the static files) would otherwise cost more than a test."""
    return ClientHandler(enforce_csrf_checks=False)


@pytest.fixture
def client(client, handler):
    client.handler = handler
    return client


def build_world():
    """One customer with a draft order (the conftest's `order`: 2 h × 50,00 and 1 × 35,00), the
    three billing cases configured (the conftest's `configured`), a contract with a renewal and
    a ticket with a billable activity; another customer with an order of its own; inactive
    records of every kind, so that each choice field has a row it must refuse."""
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    clerk = UserFactory(
        username="backoffice", functions=[MANAGE_ORDERS, MANAGE_MASTER_DATA, SEND_TO_ERP]
    )
    product = ProductFactory(list_price=Decimal("50.00"))
    other_product = ProductFactory(list_price=Decimal("35.00"), vat_rate=product.vat_rate)
    order_type = OrderTypeFactory()
    customer = CustomerFactory()
    order = services.create_order(
        order_type=order_type,
        customer=customer,
        actor=clerk,
        lines=[
            services.LineDraft(
                product=product,
                description="Intervento",
                quantity=Decimal("2"),
                unit_price=product.list_price,
            ),
            services.LineDraft(
                product=other_product,
                description="Diritto di chiamata",
                quantity=Decimal("1"),
                unit_price=other_product.list_price,
            ),
        ],
    )
    other_order = services.create_order(
        order_type=order_type,
        customer=CustomerFactory(name="Altro cliente S.r.l."),
        actor=admin,
        lines=[
            services.LineDraft(
                product=product,
                description="Altro",
                quantity=Decimal("1"),
                unit_price=Decimal("10"),
            )
        ],
    )
    billed_product = ProductFactory(list_price=Decimal("1200.00"))
    billing_type = OrderTypeFactory(code="OC", numbering_pattern="{code}/{year}/{seq:05}")
    for case in BillingProfile.Case.values:
        profile = BillingProfile.objects.for_case(case)
        profile.order_type, profile.product = billing_type, billed_product
        profile.deal_subject = DealSubjectFactory()
        profile.save()
    deal_subject = DealSubjectFactory()
    contract = ContractFactory(customer=customer, product=billed_product)
    activity = ActivityFactory(ticket__customer=customer, technician=admin)
    agent = Agent.objects.create(code="AG1", name="Agente Verdi")
    payment_terms = PaymentTermsFactory()
    vat = product.vat_rate
    # Rows no form may accept: switched off, or not of the kind the field asks for.
    ProductFactory(active=False)
    OrderTypeFactory(active=False)
    DealSubjectFactory(active=False)
    PaymentTermsFactory(active=False)
    CustomerFactory(active=False)
    VatRateFactory(code="4", description="IVA 4%", rate=Decimal("4"), active=False)
    ExemptionFactory()
    Agent.objects.create(code="AG0", name="Agente cessato", active=False)
    ActivityStatusFactory(name="Sospesa", active=False)
    ActivityConditionFactory(name="Dismessa", active=False)
    UserFactory(username="ex-dipendente", is_active=False)
    # A rate and prepaid hours of the contract, a price list with a price: each can be deleted.
    rate = ContractRateFactory(contract=contract, product=billed_product)
    package = PrepaidHoursFactory(contract=contract)
    price_list = PriceListFactory()
    PriceListFactory(active=False)
    price = PriceListItemFactory(price_list=price_list, product=billed_product)
    line = order.lines.order_by("position").first()
    return SimpleNamespace(
        admin=admin,
        clerk=clerk,
        order=order,
        line=line,
        customer=customer,
        product=product,
        other_order=other_order,
        deal_subject=deal_subject,
        contract=contract,
        renewal=RenewalFactory(contract=contract, start_date=date(2027, 1, 1)),
        ticket=activity.ticket,
        activity=activity,
        vat=vat,
        rate=rate,
        package=package,
        price_list=price_list,
        master_data={
            "clienti": customer,
            "prodotti": product,
            "tipi-ordine": order_type,
            "oggetti-trattativa": deal_subject,
            "pagamenti": payment_terms,
            # Not yet on any order line, so its rate and nature may still be edited (and fuzzed).
            "aliquote-iva": VatRateFactory(code="5", description="IVA 5%", rate=Decimal("5")),
            "agenti": agent,
            "listini": price_list,
            "prezzi-listino": price,
            "tipi-attivita": ActivityTypeFactory(name="Intervento in sede", product=billed_product),
            "stati-attivita": activity.status,
            "condizioni-attivita": activity.condition,
        },
    )


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """The world, built once for the module in a transaction rolled back at its end (what
    TestCase.setUpTestData does): each test runs in a savepoint above it, each hostile post in
    a savepoint above that, so every post meets the same rows."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
        except BaseException:
            atomic.__exit__(None, None, None)
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def world(db, shared_world):
    return shared_world


# --- Building the posts -------------------------------------------------------------------------


def browser_payload(form):
    """What a browser posts for an unbound form: its initial values, as its widgets show them."""
    data = {}
    with translation.override(settings.LANGUAGE_CODE):
        for bound in form:
            fld, value = bound.field, bound.field.prepare_value(bound.value())
            if fld.disabled:
                continue
            if isinstance(fld.widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(fld, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
                data[bound.html_name] = [str(fld.prepare_value(v)) for v in value or []]
            elif isinstance(fld.widget, ChoiceWidget):
                shown = fld.widget.format_value(value)
                data[bound.html_name] = shown[0] if shown else ""
            else:
                shown = fld.widget.format_value(value)
                data[bound.html_name] = "" if shown is None else str(shown)
    return data


def baseline_payload(case, world):
    data = {}
    for form in case.companions(world):
        data.update(browser_payload(form))
    form = case.build(world, None)
    data.update(browser_payload(form))
    for name, value in case.values(world).items():
        data[form.add_prefix(name)] = [str(v) for v in value] if isinstance(value, list) else value
    data.update(case.extra(world))
    return {key: str(v) if isinstance(v, int) else v for key, v in data.items()}


def as_querydict(data):
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


def case_url(case, world):
    return reverse(case.url_name, args=case.args(world))


def login(client, case, world):
    if not case.anonymous:
        client.force_login(world.admin)


def foreign_row(fld):
    """An existing row the field's choices leave out, if there is one."""
    queryset = getattr(fld, "queryset", None)
    if queryset is None:
        return None
    model = queryset.model
    row = model._default_manager.exclude(pk__in=queryset.values("pk")).order_by("pk").first()
    return None if row is None else str(row.pk)


def model_field(form, name):
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


# --- What may be accepted -----------------------------------------------------------------------


def number_acceptable(fld, mfield, text):
    """A number is legitimate when it is finite, integral for an integer field, inside every
    declared bound and digit limit, and negative only where a negative bound is declared."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return False
    if not number.is_finite():
        return False
    integer = isinstance(fld, forms.IntegerField) and not isinstance(fld, forms.DecimalField)
    if integer and number != number.to_integral_value():
        return False
    validators = list(fld.validators) + list(mfield.validators if mfield else [])
    lows = [v.limit_value for v in validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in validators if isinstance(v, MaxValueValidator)]
    if number < 0 and not lows:
        return False
    if any(number < low for low in lows) or any(number > high for high in highs):
        return False
    if isinstance(fld, forms.DecimalField):
        try:
            DecimalValidator(fld.max_digits, fld.decimal_places)(number)
        except ValidationError:
            return False
    return True


def may_accept(fld, mfield, value):
    """Whether accepting the value is legitimate. Refusing a hostile value is always fine."""
    if isinstance(fld, forms.BooleanField):
        return True  # a checkbox: any value only means "ticked", nothing of it is stored
    if NUL in value:
        return False
    if value == "":
        return not fld.required
    if isinstance(fld, forms.ChoiceField | forms.ModelChoiceField):
        return False  # none of the hostile values is a choice
    if isinstance(fld, forms.DateField | forms.DateTimeField | forms.EmailField):
        return False
    if isinstance(fld, forms.DecimalField | forms.IntegerField | forms.FloatField):
        return number_acceptable(fld, mfield, value)
    if isinstance(fld, forms.CharField):
        limit = fld.max_length or getattr(mfield, "max_length", None)
        return limit is None or len(value) <= limit
    return False


# --- Reading the answer -------------------------------------------------------------------------


def context_forms(response):
    """The forms the view rendered (also inside lists of (object, form) pairs, and formsets)."""
    context = response.context
    if context is None:
        return []
    contexts = context if isinstance(context, ContextList) else [context]
    found = {}

    def visit(value):
        if isinstance(value, forms.BaseForm):
            found[id(value)] = value
        elif isinstance(value, forms.BaseFormSet):
            visit([value.management_form, *value.forms])
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item)

    for ctx in contexts:
        if isinstance(ctx, BaseContext):
            for value in ctx.flatten().values():
                visit(value)
    return list(found.values())


def context_formsets(response):
    contexts = response.context if isinstance(response.context, ContextList) else [response.context]
    return [
        value
        for ctx in contexts
        if isinstance(ctx, BaseContext)
        for value in ctx.flatten().values()
        if isinstance(value, forms.BaseFormSet) and value.is_bound
    ]


def form_errors(response):
    """(Italian, English) renderings of every error of the rendered forms (and formsets)."""
    errors = []
    lists = [
        error_list
        for form in context_forms(response)
        if form.is_bound and form.errors
        for error_list in form.errors.as_data().values()
    ]
    for error_list in lists:
        for error in error_list:
            with translation.override("it"):
                italian = list(error.messages)
            with translation.override("en"):
                english = list(error.messages)
            errors += zip(italian, english, strict=True)
    if response.context is not None:
        # A formset formats its own errors in the request's language (no English twin to
        # compare): only their words are checked.
        for formset in context_formsets(response):
            errors += [(message, None) for message in formset.non_form_errors()]
    return errors


def error_messages(response):
    return [
        str(message)
        for message in get_messages(response.wsgi_request)
        if message.level >= message_levels.WARNING
    ]


def not_italian(text, english=None):
    """The message reads as English: it has English words, or it stayed the same in English
    although Django could translate it (a string missing from the Italian catalogue)."""
    if ENGLISH_WORDS.search(text):
        return True
    return english is not None and text == english and re.search(r"[A-Za-z]{4}", text) is not None


@cache
def watched_tables():
    """(label, table, primary key column) of every table the project writes."""
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.app_label in UNWATCHED_APPS or meta.label in UNWATCHED_MODELS:
            continue
        tables.append((meta.label, meta.db_table, meta.pk.column))
    return tables


def snapshot():
    """Every row of every watched table, in primary-key order (plain SQL: it runs thousands of
    times)."""
    quote = connection.ops.quote_name
    state = {}
    with connection.cursor() as cursor:
        for label, table, pk in watched_tables():
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")
            state[label] = cursor.fetchall()
    return state


def changed_tables(before, after):
    return sorted(label for label in before if before[label] != after[label])


def check_answer(client, response, *, case, fld, mfield, value, before):
    """The problems of one answer to one hostile post (empty when it is a correct answer)."""
    status = response.status_code
    if status >= 500:
        return [f"HTTP {status}"]
    problems = []
    content = response.content.decode(errors="replace")
    if SCRIPT in content:
        problems.append("the script tag is rendered raw")
    errors = form_errors(response)
    messages = error_messages(response)
    refused = 400 <= status < 500 or bool(errors or messages)
    if status == 422 and not errors and not messages:
        problems.append("422 without any error shown")
    if refused:
        changed = changed_tables(before, snapshot())
        if changed:
            problems.append(f"refused, but rows changed in {changed}")
        for italian, english in errors:
            if not_italian(italian, english):
                problems.append(f"error not in Italian: {italian!r}")
            elif escape(italian) not in content:
                shown = "in English" if escape(english) in content else "nowhere"
                problems.append(f"error shown {shown} on the page: {italian!r}")
        problems += [f"message not in Italian: {m!r}" for m in messages if not_italian(m)]
        return problems
    # Accepted.
    if case.url_name == "set_language" and not isinstance(fld, RedirectTarget):
        # An unknown language is ignored, not refused: the switch just redirects.
        chosen = client.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen is not None and chosen.value not in dict(settings.LANGUAGES):
            problems.append(f"language cookie set to {chosen.value!r}")
        return problems
    if isinstance(fld, RedirectTarget):
        # A redirect target is checked and, when unsafe, replaced: only where it leads matters.
        location = response.get("Location", "")
        if not 300 <= status < 400 or urlsplit(location).netloc or NUL in location:
            problems.append(f"answered {status} {location!r}")
        return problems
    if not may_accept(fld, mfield, value):
        problems.append(f"accepted ({status}) although it is not a valid value for the field")
    if value == SCRIPT and 300 <= status < 400:
        page = client.get(response["Location"])
        if SCRIPT in page.content.decode(errors="replace"):
            problems.append(f"the script tag is rendered raw on {response['Location']}")
    return problems


def post_hostile(client, url, payload, check):
    """Post inside a savepoint that is always rolled back; a crash is reported, not raised."""
    try:
        with transaction.atomic():
            response = client.post(url, payload)
            problems = check(response)
            transaction.set_rollback(True)
    except Exception as error:  # the test client re-raises what the view raised: a 500
        frame = error.__traceback__
        while frame.tb_next is not None:
            frame = frame.tb_next
        where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}"
        return [f"500 {type(error).__name__}: {str(error)[:160]} (at {where})"]
    return problems


# --- The tests ----------------------------------------------------------------------------------


def _field_params():
    return [
        pytest.param(case.name, name, id=f"{case.name}:{name}")
        for case in CASES.values()
        for name in case.field_names
    ]


@pytest.mark.parametrize(("case_name", "field_name"), _field_params())
def test_hostile_values_are_refused_cleanly(client, world, case_name, field_name):
    case = CASES[case_name]
    login(client, case, world)
    url = case_url(case, world)
    payload = baseline_payload(case, world)
    form = case.build(world, as_querydict(payload))
    assert field_name in form.fields, f"{case.name} has no field {field_name}"
    fld, key = form.fields[field_name], form.add_prefix(field_name)
    mfield = model_field(form, field_name)
    multiple = isinstance(fld, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
    values = list(HOSTILE)
    foreign = foreign_row(fld)
    if foreign is not None:
        values.append((FOREIGN, foreign))
    before = snapshot()
    failures = []
    for label, value in values:
        hostile = dict(payload)
        hostile[key] = [value] if multiple else value

        def check(response, value=value):
            return check_answer(
                client,
                response,
                case=case,
                fld=fld,
                mfield=mfield,
                value=value,
                before=before,
            )

        for problem in post_hostile(client, url, hostile, check):
            failures.append(f"{case.name} field {key!r} = {label} ({value[:30]!r}): {problem}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("case_name", list(CASES))
def test_baseline_payload_is_accepted(client, world, case_name):
    """The valid post every hostile one starts from is accepted: so a refusal above is the
    hostile value's doing, not a broken baseline."""
    case = CASES[case_name]
    login(client, case, world)
    response = client.post(case_url(case, world), baseline_payload(case, world))
    assert response.status_code in (200, 302), response.status_code
    assert form_errors(response) == []
    assert error_messages(response) == []


def test_every_url_is_a_form_a_button_or_a_page():
    """A new URL must be placed: fuzzed here, a fieldless POST, or a read-only page."""
    forms_here = {case.url_name for case in CASES.values()}
    placed = forms_here | POST_WITHOUT_FIELDS | READ_ONLY
    assert sorted(set(TABLE) - placed) == []


class PostedFields(HTMLParser):
    """The fields of every <form method="post"> of a page, by the URL they post to."""

    def __init__(self, page_path):
        super().__init__()
        self.page_path, self.forms, self.by_id, self.current = page_path, [], {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {
                "post": (attrs.get("method") or "get").lower() == "post",
                "action": attrs.get("action") or self.page_path,
                "fields": set(),
            }
            self.forms.append(self.current)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = self.current
        elif tag in ("input", "select", "textarea", "button"):
            target = self.by_id.get(attrs.get("form")) or self.current
            if target is not None and attrs.get("formaction"):
                # A button that submits its form elsewhere posts the same fields there.
                self.forms.append(
                    {"post": True, "action": attrs["formaction"], "fields": target["fields"]}
                )
            if (
                target is not None
                and attrs.get("name", "csrfmiddlewaretoken") != "csrfmiddlewaretoken"
            ):
                target["fields"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def posted_fields(response, page_path):
    parser = PostedFields(page_path)
    parser.feed(response.content.decode())
    found = set()
    for form in parser.forms:
        if not form["post"]:
            continue
        match = resolve(urlsplit(form["action"]).path)
        if match.view_name in POST_WITHOUT_FIELDS:
            # A button of another form (formaction): its fields go along and are not read.
            form["fields"] = set()
        if not form["fields"]:
            found.add((match.view_name, match.kwargs.get("kind"), None))
        for name in form["fields"]:
            found.add((match.view_name, match.kwargs.get("kind"), name))
    return found


def page_args(world):
    run = BillingRun.objects.create(actor=world.admin)
    import_ = MasterDataImport.objects.create(
        kind=MasterDataImport.Kind.CUSTOMERS,
        file_name="clienti.csv",
        content=b"",
        actor=world.admin,
    )
    return {
        "backoffice:masterdata_import_detail": [import_.pk],
        "backoffice:order_detail": [world.order.pk],
        "backoffice:order_pdf": [world.order.pk],
        "backoffice:order_cancel": [world.order.pk],
        "backoffice:order_line_edit": [world.order.pk, world.line.pk],
        "backoffice:order_line_row": [world.order.pk, world.line.pk],
        "backoffice:order_transmissions": [world.order.pk],
        "backoffice:masterdata_list": ["clienti"],
        "backoffice:masterdata_create": ["clienti"],
        "backoffice:masterdata_update": ["clienti", world.customer.pk],
        "backoffice:masterdata_delete": ["prezzi-listino", world.master_data["prezzi-listino"].pk],
        "contracts:contract_detail": [world.contract.pk],
        "contracts:contract_rate_delete": [world.rate.pk],
        "contracts:prepaid_hours_delete": [world.package.pk],
        "contracts:renewal_create": [world.contract.pk],
        "contracts:renewal_detail": [world.renewal.pk],
        "tickets:ticket_detail": [world.ticket.pk],
        "tickets:activity_create": [world.ticket.pk],
        "tickets:activity_update": [world.activity.pk],
        "tickets:activity_delete": [world.activity.pk],
        "billing:billing_run_detail": [run.pk],
        "administration:user_update": [world.clerk.pk],
        "administration:user_deactivate": [world.clerk.pk],
        "administration:user_activate": [world.clerk.pk],
    }


def generic(key):
    """Any line of the order, any row of an activity's materials, is the same form."""
    return re.sub(r"^(line|materials)-\d+-", r"\1-N-", key)


def test_every_field_a_page_posts_is_fuzzed_and_back(client, world):
    """Read every page as a browser would and collect the fields of its POST forms. Each must be
    fuzzed by a case above (or be a button of a fieldless POST URL), and each fuzzed field must
    be one a page posts: a form that changes under the cases cannot go unnoticed."""
    args = page_args(world)
    found = posted_fields(client.get(reverse("login")), reverse("login"))
    client.force_login(world.admin)
    paths = [
        reverse(name, args=args.get(name, []))
        for name, (method, _rule) in TABLE.items()
        if method == "get" and not name.startswith("admin:")
    ]
    paths.append(reverse("tickets:ticket_detail", args=[world.ticket.pk]) + "?tab=dati")
    # The order's header form is on the page when asked for.
    paths.append(reverse("backoffice:order_detail", args=[world.order.pk]) + "?header=edit")
    # The Scadenzario with a window wide enough to hold the world's contract: its "Rinnova".
    # With every filter set, as "all contracts listed" posts them along.
    scadenzario = {
        "within_days": "3650",
        "customer": world.contract.customer_id,
        "q": "",
        "sort": "end",
    }
    paths.append(reverse("billing:renewals_due") + "?" + as_querydict(scadenzario).urlencode())
    # The list's filters travel along with "Fattura attività".
    filters = baseline_payload(CASES["billing:bill_activities_preview[filtered]"], world)
    filters = {
        name: value for name, value in filters.items() if name in TicketFilterForm.base_fields
    }
    paths.append(reverse("tickets:ticket_list") + "?" + as_querydict(filters).urlencode())
    paths += [reverse("backoffice:masterdata_create", args=[slug]) for slug in MASTER_DATA]
    paths += [
        reverse("backoffice:masterdata_update", args=[slug, obj.pk])
        for slug, obj in world.master_data.items()
    ]
    for path in paths:
        response = client.get(path)
        # The ERP card alone redirects to its order without htmx.
        assert response.status_code in (200, 302), path
        if response["Content-Type"].startswith("text/html"):
            found |= posted_fields(response, path)
    for mode in ("selected", "filtered"):
        case = CASES[f"billing:bill_activities_preview[{mode}]"]
        preview = client.post(case_url(case, world), baseline_payload(case, world))
        found |= posted_fields(preview, case_url(case, world))
    # Django's "initial-" twins of fields with a callable default only feed has_changed().
    found = {
        (name, kind, generic(key) if key else key)
        for name, kind, key in found
        if not (key or "").startswith("initial-")
    }

    fuzzed, posted_along = set(), set()
    for case in CASES.values():
        form = case.build(world, None)
        keys = {generic(form.add_prefix(n)) for n in case.field_names}
        fuzzed |= {(case.url_name, case.kind, key) for key in keys}
        posted_along |= {
            (case.url_name, case.kind, generic(key)) for key in baseline_payload(case, world)
        }

    def known(entry, among):
        name, _kind, key = entry
        return entry in among or (name, None, key) in among

    not_fuzzed = sorted(e for e in found if e[2] is not None and not known(e, fuzzed))
    assert not_fuzzed == [], f"posted fields no hostile test covers: {not_fuzzed}"
    found_or_unkinded = found | {(name, None, key) for name, _kind, key in found}
    stale = sorted(e for e in fuzzed if e not in found_or_unkinded)
    assert stale == [], f"fuzzed fields no page posts (the form changed?): {stale}"
    assert sorted(e for e in posted_along if e not in found_or_unkinded) == []
    buttons = {name for name, _kind, key in found if key is None}
    assert buttons - POST_WITHOUT_FIELDS - {c.url_name for c in CASES.values()} == set()


# --- GET filters and search boxes ---------------------------------------------------------------


class SearchFields(forms.Form):
    """The search box of the master-data and user lists (read from request.GET by the view)."""

    q = forms.CharField(required=False)


class ListParams(forms.Form):
    """A list's sort, page and export (read from request.GET by core.lists.list_page)."""

    sort = forms.CharField(required=False)
    page = forms.CharField(required=False)
    export = forms.CharField(required=False)


class CustomerParam(forms.Form):
    """The customer whose orders the contract form's dropdown loads (htmx)."""

    customer = forms.CharField(required=False)


class OrderOptionsParams(CustomerParam):
    """The Num. Ordine / Prot. Int. search (htmx): the text, the order chosen, whose."""

    order_q = forms.CharField(required=False)
    order = forms.CharField(required=False)
    contract = forms.CharField(required=False)
    renewal_of = forms.CharField(required=False)
    renewal = forms.CharField(required=False)


class ProductOptionsParams(forms.Form):
    """A product dropdown's search on the configuration page (htmx)."""

    product_q = forms.CharField(required=False)
    field = forms.CharField(required=False)


FILTERS = [
    ("backoffice:order_list", [], OrderFilter(queryset=Order.objects.none()).get_form_class()),
    ("backoffice:order_list", [], ListParams),
    (
        "contracts:contract_list",
        [],
        ContractFilter(queryset=Contract.objects.none()).get_form_class(),
    ),
    ("contracts:contract_list", [], ListParams),
    ("contracts:renewal_list", [], RenewalFilter(queryset=Renewal.objects.none()).get_form_class()),
    ("tickets:ticket_list", [], TicketFilterForm),
    ("tickets:ticket_list", [], ListParams),
    ("backoffice:masterdata_list", ["clienti"], SearchFields),
    ("backoffice:masterdata_list", ["clienti"], ListParams),
    (
        "administration:user_list",
        [],
        UserFilter(queryset=get_user_model().objects.none()).get_form_class(),
    ),
    ("administration:user_list", [], ListParams),
    ("contracts:customer_orders", [], OrderOptionsParams),
    ("administration:product_options", [], ProductOptionsParams),
    ("tickets:customer_contracts", [], CustomerParam),
]


@pytest.mark.parametrize(
    ("url_name", "args", "form_class", "field_name"),
    [
        pytest.param(url_name, args, form_class, name, id=f"{url_name}:{name}")
        for url_name, args, form_class in FILTERS
        for name in form_class.base_fields
    ],
)
def test_hostile_filters_never_break_a_page(client, world, url_name, args, form_class, field_name):
    """A filter or search value is only read: whatever it is, the page answers (with the filter
    refused or nothing found), changes nothing and shows the value escaped."""
    client.force_login(world.admin)
    url = reverse(url_name, args=args)
    before = snapshot()
    failures = []
    for label, value in HOSTILE:

        def check(response):
            problems = []
            if response.status_code != 200:
                problems.append(f"HTTP {response.status_code}")
            if SCRIPT in response.content.decode(errors="replace"):
                problems.append("the script tag is rendered raw")
            changed = changed_tables(before, snapshot())
            if changed:
                problems.append(f"rows changed in {changed}")
            for italian, english in form_errors(response):
                if not_italian(italian, english):
                    problems.append(f"error not in Italian: {italian!r}")
            return problems

        try:
            with transaction.atomic():
                problems = check(client.get(url, {field_name: value}))
                transaction.set_rollback(True)
        except Exception as error:
            problems = [f"500 {type(error).__name__}: {str(error)[:160]}"]
        failures += [f"{url_name} ?{field_name}= {label} ({value[:30]!r}): {p}" for p in problems]
    assert failures == [], "\n".join(failures)


def test_the_catalogue_is_italian():
    """The checks above rely on the active language being Italian by default."""
    assert settings.LANGUAGE_CODE == "it"
    with translation.override("it"):
        assert str(forms.Field.default_error_messages["required"]) == (
            "Questo campo è obbligatorio."
        )
