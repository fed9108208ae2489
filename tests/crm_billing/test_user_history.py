"""Gestione Utenti keeps who granted or revoked which function, who (de)activated a user and who
changed a name or an e-mail, and shows it on the user's page, newest first."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.permissions import MANAGE_USERS
from crm_billing.services.users import create_user, set_user_functions
from tests.factories import UserFactory, perm
from tests.pages import form_as_rendered, history_rows, history_table

CONTRACTS_FUNCTION = "Funzione “Gestione Contratti di Post Vendita”"
WHEN = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


@pytest.fixture
def manager(make_user):
    return make_user(MANAGE_USERS, username="gestore", first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def operator(db):
    return UserFactory(pk=23_417, username="operatore", first_name="Ugo", last_name="Neri")


def user_page(operator):
    return reverse("administration:user_update", args=[operator.pk])


def submit_user_page(client, operator, change):
    """Open the user's page, change what the browser shows, and save it."""
    data = form_as_rendered(client.get(user_page(operator)))
    change(data)
    response = client.post(user_page(operator), data)
    assert response.status_code == 302, response.content.decode()


def tick(function):
    return lambda data: data.setdefault("functions", []).append(str(perm(function).pk))


def untick(function):
    return lambda data: data["functions"].remove(str(perm(function).pk))


def test_a_function_granted_and_then_revoked_shows_on_the_user_page_with_who(
    manager_client, operator
):
    submit_user_page(manager_client, operator, tick(MANAGE_CONTRACTS))
    assert get_user_model().objects.get(pk=operator.pk).has_perm(MANAGE_CONTRACTS)
    submit_user_page(manager_client, operator, untick(MANAGE_CONTRACTS))
    assert not get_user_model().objects.get(pk=operator.pk).has_perm(MANAGE_CONTRACTS)

    rows = history_rows(manager_client.get(user_page(operator)))
    assert [row[1:] for row in rows[:2]] == [
        ["Giulia Bianchi", CONTRACTS_FUNCTION, "concessa", "revocata"],
        ["Giulia Bianchi", CONTRACTS_FUNCTION, "—", "concessa"],
    ]
    assert all(WHEN.match(row[0]) for row in rows)
    # The account itself was made by the test's factory, outside any request: the system.
    assert rows[-1][1:3] == ["Sistema", "Creazione"]


def test_saving_the_page_unchanged_records_nothing(manager_client, operator):
    before = operator.history.count()
    submit_user_page(manager_client, operator, lambda data: None)
    assert operator.history.count() == before


def test_name_and_email_changes_show_before_and_after(manager_client, operator):
    def rename(data):
        data["first_name"] = ["Ugolino"]
        data["email"] = ["ugo.neri@example.it"]

    submit_user_page(manager_client, operator, rename)
    rows = history_rows(manager_client.get(user_page(operator)))
    assert [row[1:] for row in rows[:2]] == [
        ["Giulia Bianchi", "Nome", "Ugo", "Ugolino"],
        ["Giulia Bianchi", "Indirizzo email", "—", "ugo.neri@example.it"],
    ]


def test_deactivation_and_reactivation_are_recorded_with_who(manager_client, operator):
    manager_client.post(reverse("administration:user_deactivate", args=[operator.pk]))
    manager_client.post(reverse("administration:user_activate", args=[operator.pk]))
    rows = history_rows(manager_client.get(user_page(operator)))
    assert [row[1:] for row in rows[:2]] == [
        ["Giulia Bianchi", "Attivo", "No", "Sì"],
        ["Giulia Bianchi", "Attivo", "Sì", "No"],
    ]


def test_the_history_names_the_actor_also_outside_a_request(db, manager):
    user = create_user(username="da-comando", password="Pw-test-2026!", actor=None)
    set_user_functions(user=user, functions=[perm(MANAGE_CONTRACTS)], actor=manager)
    records = list(user.history.order_by("history_date", "history_id"))
    assert [r.history_user for r in records] == [None, manager]


def test_logging_in_records_nothing(client, operator):
    before = operator.history.count()
    response = client.post(reverse("login"), {"username": "operatore", "password": "pw-test-123"})
    assert response.status_code == 302
    assert operator.history.count() == before


def test_the_history_section_is_accessible(manager_client, operator):
    table = history_table(manager_client.get(user_page(operator)))
    assert table.headings == ["Storico delle modifiche"]
    assert table.heading_scopes == ["col"] * 5


@pytest.mark.parametrize("changes", [2, 30])
def test_the_user_page_costs_the_same_queries_however_long_the_history(
    manager_client, operator, django_assert_max_num_queries, changes
):
    for number in range(changes):
        set_user_functions(
            user=operator,
            functions=[perm(MANAGE_CONTRACTS)] if number % 2 == 0 else [],
            actor=UserFactory(username=f"collega{number}"),
        )
    with django_assert_max_num_queries(15):
        response = manager_client.get(user_page(operator))
    assert len(history_rows(response)) >= changes
