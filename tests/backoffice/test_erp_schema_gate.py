"""No document reaches the outbox unless it follows the JSON Schema: one that does not is refused
when the order is sent, every problem named in Italian, and nothing is written."""

import copy

import pytest
from django.utils import translation

from backoffice.erp import payload as erp_payload
from backoffice.erp import services as erp
from backoffice.exceptions import OrderNotSendable
from backoffice.models import Order, OrderEvent, Transmission
from tests.backoffice.test_erp_services import _fail, _order_with_a_line

REFUSED = (
    "L'ordine non può essere inviato al gestionale: il suo documento non rispetta lo schema "
    "erp-order/v1."
)


@pytest.fixture(autouse=True)
def italian():
    with translation.override("it"):
        yield


def building(monkeypatch, change):
    """Make the payload builder produce a document changed by `change(payload)`."""
    real_build = erp_payload.build_order_payload

    def build(**kwargs):
        payload = real_build(**kwargs)
        change(payload)
        return payload

    monkeypatch.setattr(erp_payload, "build_order_payload", build)


def assert_nothing_queued(order):
    order.refresh_from_db()
    assert not Transmission.objects.filter(order=order).exists()
    assert order.status == Order.Status.DRAFT
    assert not order.events.filter(kind=OrderEvent.Kind.QUEUED).exists()


def test_a_document_without_a_required_field_is_refused_and_nothing_is_queued(
    order, backoffice_user, monkeypatch, django_capture_on_commit_callbacks
):
    building(monkeypatch, lambda payload: payload["header"].pop("number"))
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(OrderNotSendable) as error,
    ):
        erp.send_order(order=order, actor=backoffice_user)
    assert str(error.value.message) == REFUSED
    assert error.value.problems == ["Manca il campo $.header.number."]
    assert str(error.value) == f"{REFUSED} Manca il campo $.header.number."
    assert callbacks == []  # no delivery task either
    assert_nothing_queued(order)


def test_every_problem_is_listed_in_the_documents_order(order, backoffice_user, monkeypatch):
    def spoil(payload):
        payload["lines"][0]["quantity"] = 2.0  # a number, not a string
        payload["header"]["date"] = "2025-02-30"  # the pattern fits, the date does not exist
        payload["header"]["revision"] = 0
        payload["idempotency_key"] = "k" * 65
        payload["lines"][1]["unit"] = "x" * 11
        payload["totals"]["by_vat"] = []
        payload["extra"] = True

    building(monkeypatch, spoil)
    with pytest.raises(OrderNotSendable) as error:
        erp.send_order(order=order, actor=backoffice_user)
    assert error.value.problems == [
        "$.extra non è un campo previsto dal gestionale.",
        '$.header.date: il valore "2025-02-30" non è nel formato previsto.',
        "$.header.revision vale 0, meno del minimo di 1.",
        "$.idempotency_key è troppo lungo: al massimo 64 caratteri.",
        "$.lines[0].quantity deve essere un testo, non 2.0.",
        "$.lines[1].unit è troppo lungo: al massimo 10 caratteri.",
        "$.totals.by_vat deve avere almeno 1 elemento.",
    ]
    assert_nothing_queued(order)


def test_a_lowercase_tax_code_saved_past_the_form_is_caught_before_the_erp_sees_it(
    backoffice_user,
):
    # The validator accepts lower case (the form capitalises); the schema wants capitals.
    order = _order_with_a_line(backoffice_user, vat_number="", tax_code="rssmra80a01h501u")
    with pytest.raises(OrderNotSendable) as error:
        erp.send_order(order=order, actor=backoffice_user)
    assert error.value.problems == [
        '$.header.customer.tax_code: il valore "rssmra80a01h501u" non è nel formato previsto.'
    ]
    assert_nothing_queued(order)


def test_a_resend_is_checked_too(order, backoffice_user, monkeypatch):
    failed = _fail(erp.send_order(order=order, actor=backoffice_user))
    building(monkeypatch, lambda payload: payload["lines"].clear())
    with pytest.raises(OrderNotSendable) as error:
        erp.resend_transmission(transmission=failed, actor=backoffice_user)
    assert error.value.problems == ["$.lines deve avere almeno 1 elemento."]
    assert list(Transmission.objects.filter(order=order)) == [failed]
    order.refresh_from_db()
    assert (order.status, order.revision) == (Order.Status.DRAFT, 2)


def test_a_long_list_of_problems_is_cut_with_a_count(order, backoffice_user, monkeypatch):
    def spoil(payload):
        payload["lines"] = [{**payload["lines"][0], "quantity": "0"} for _ in range(30)]

    building(monkeypatch, spoil)
    with pytest.raises(OrderNotSendable) as error:
        erp.send_order(order=order, actor=backoffice_user)
    problems = error.value.problems
    assert len(problems) == erp_payload.MAX_SCHEMA_PROBLEMS + 1
    assert problems[0] == '$.lines[0].quantity: il valore "0" non è nel formato previsto.'
    assert problems[-1] == "…e altri 10 problemi."
    assert_nothing_queued(order)


def test_a_valid_document_is_queued_as_before(order, backoffice_user):
    transmission = erp.send_order(order=order, actor=backoffice_user)
    assert erp_payload.schema_problems(transmission.payload) == []
    transmission.refresh_from_db()
    assert erp_payload.schema_problems(transmission.payload) == []
    assert transmission.state == Transmission.State.QUEUED
    assert Order.objects.get(pk=order.pk).status == Order.Status.SENDING


def test_the_validator_is_compiled_once():
    assert erp_payload.schema_validator() is erp_payload.schema_validator()
    assert erp_payload.schema_validator().format_checker is not None


@pytest.fixture
def payload(order):
    order, lines = erp_payload.load_order(order.pk)
    return erp_payload.build_order_payload(
        order=order, lines=lines, idempotency_key="k-1", revision=1
    )


def spoilt(payload, change):
    payload = copy.deepcopy(payload)
    change(payload)
    return payload


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda p: p["header"].update(kind="invoice"),
            '$.header.kind: il valore "invoice" non è tra quelli accettati dal gestionale.',
        ),
        (
            lambda p: p.update(schema="erp-order/v2"),
            '$.schema: il valore "erp-order/v2" non è tra quelli accettati dal gestionale.',
        ),
        (lambda p: p["header"].update(number=""), "$.header.number è vuoto."),
        (
            lambda p: p["header"].update(payment_terms={"code": "30"}),
            "$.header.payment_terms non corrisponde a nessuna delle forme accettate dal "
            "gestionale.",
        ),
        (
            lambda p: p["header"]["customer"].update(vat_number=None),
            "$.header.customer non corrisponde a nessuna delle forme accettate dal gestionale.",
        ),
        (
            lambda p: p["lines"][0]["vat"].update(surplus="x"),
            "$.lines[0].vat ha campi non previsti dal gestionale.",
        ),
        (
            lambda p: p["header"].update(notes=None),
            "$.header.notes deve essere un testo, non null.",
        ),
        (
            lambda p: p["header"].update(revision="1"),
            '$.header.revision deve essere un numero intero, non "1".',
        ),
        (
            lambda p: p["header"].update(agent=7),
            "$.header.agent deve essere un testo o null, non 7.",
        ),
        (
            lambda p: p["header"]["customer"].pop("name"),
            "Manca il campo $.header.customer.name.",
        ),
        (
            lambda p: p["header"].update({"due date": "x"}),
            "$.header['due date'] non è un campo previsto dal gestionale.",
        ),
        (
            lambda p: p["header"].update(notes=7, number="x" * 200) or p.pop("totals"),
            None,  # several at once: see below
        ),
    ],
)
def test_each_kind_of_problem_is_said_in_italian(payload, change, problem):
    problems = erp_payload.schema_problems(spoilt(payload, change))
    if problem is None:
        assert problems == [
            "$.header.notes deve essere un testo, non 7.",
            "Manca il campo $.totals.",
        ]
    else:
        assert problems == [problem]


def test_a_long_value_is_quoted_shortened(payload):
    problems = erp_payload.schema_problems(
        spoilt(payload, lambda p: p["header"]["customer"].update(vat_number="9" * 100))
    )
    assert problems == [
        f'$.header.customer.vat_number: il valore "{"9" * 59}…" non è nel formato previsto.'
    ]
