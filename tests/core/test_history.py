"""The rows of a record's history: what every record page shows, in the user's language."""

from decimal import Decimal

from django.utils import translation

from contracts.permissions import MANAGE_CONTRACTS
from core.history import HISTORY_LIMIT, record_changes_by, record_history
from crm_billing.services.users import set_user_functions
from tests.factories import CustomerFactory, UserFactory, perm


def test_only_the_latest_changes_are_shown_newest_first(db):
    customer = CustomerFactory(pk=12_401, discount_percent=Decimal("0"))
    for number in range(1, HISTORY_LIMIT + 6):
        customer.name = f"Cliente {number} S.r.l."
        customer.save()
    history = record_history(customer)
    assert history.more
    assert len(history.rows) == HISTORY_LIMIT
    assert (history.rows[0].before, history.rows[0].after) == (
        f"Cliente {HISTORY_LIMIT + 4} S.r.l.",
        f"Cliente {HISTORY_LIMIT + 5} S.r.l.",
    )
    assert not record_history(customer, limit=HISTORY_LIMIT + 6).more


def test_saves_that_change_nothing_show_no_row(db):
    customer = CustomerFactory(pk=12_402)
    customer.save()
    customer.save()
    assert [row.field for row in record_history(customer).rows] == ["Creazione"]


def test_a_change_without_its_earlier_state_says_so(db):
    customer = CustomerFactory(pk=12_403)
    customer.history.all().delete()  # as for a record older than its history
    record_changes_by(customer, UserFactory(username="storico", first_name="Rita"))
    customer.city = "Modena"
    customer.save()
    (row,) = record_history(customer).rows
    assert (row.who, row.field) == ("Rita Rossi", "Modifica (lo stato precedente non è registrato)")


def test_functions_are_named_in_the_users_language(db):
    user = UserFactory(pk=23_418, username="bilingue")
    set_user_functions(user=user, functions=[perm(MANAGE_CONTRACTS)], actor=None)
    with translation.override("en"):
        row = record_history(user).rows[0]
    assert (row.who, row.field, row.after) == (
        "System",
        "Function “Post-sales contracts management”",
        "granted",
    )
    with translation.override("it"):
        row = record_history(user).rows[0]
    assert (row.field, row.after) == ("Funzione “Gestione Contratti di Post Vendita”", "concessa")
