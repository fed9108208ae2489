"""An activity's page and the ticket's "Ticket" tab show who changed what, when, and the values
before and after, as the page was submitted."""

from datetime import date

import pytest
from django.urls import reverse

from core.history import record_changes_by
from tests.factories import (
    ActivityFactory,
    ActivityStatusFactory,
    CustomerFactory,
    TicketFactory,
    UserFactory,
)
from tests.pages import form_as_rendered, history_rows, history_table
from tickets.models import ActivityStatus
from tickets.permissions import MANAGE_TICKETS
from tickets.services import save_activity


@pytest.fixture
def technician(make_user):
    return make_user(MANAGE_TICKETS, username="assistenza", first_name="Luca", last_name="Verdi")


@pytest.fixture
def technician_client(client, technician):
    client.force_login(technician)
    return client


@pytest.fixture
def activity(db):
    ticket = TicketFactory(pk=30_512, customer=CustomerFactory(pk=12_346))
    return ActivityFactory(
        pk=52_001,
        ticket=ticket,
        date=date(2026, 10, 2),
        duration_minutes=90,
        status=ActivityStatusFactory(name="In lavorazione", kind=ActivityStatus.Kind.IN_PROGRESS),
    )


def activity_url(activity):
    return reverse("tickets:activity_update", args=[activity.pk])


def submit(client, url, change, post_url=None):
    data = form_as_rendered(client.get(url))
    change(data)
    response = client.post(post_url or url, data)
    assert response.status_code == 302, response.content.decode()


def test_editing_an_activity_shows_before_after_and_who_on_its_page(
    technician_client, technician, activity
):
    completed = ActivityStatusFactory(name="Completata", kind=ActivityStatus.Kind.CLOSED)

    def edit(data):
        data["date"] = ["2026-10-03"]
        data["duration_minutes"] = ["150"]
        data["status"] = [str(completed.pk)]

    submit(technician_client, activity_url(activity), edit)

    assert activity.history.first().history_user == technician
    rows = history_rows(technician_client.get(activity_url(activity)))
    assert [row[1:] for row in rows] == [
        ["Luca Verdi", "Data", "02/10/2026", "03/10/2026"],
        ["Luca Verdi", "Durata (minuti)", "90", "150"],
        ["Luca Verdi", "Stato", "In lavorazione", "Completata"],
        ["Sistema", "Creazione", "—", "—"],
    ]


def test_editing_a_ticket_shows_on_its_ticket_tab(technician_client, technician, activity):
    ticket = activity.ticket
    page = f"{ticket.get_absolute_url()}?tab=dati"
    submit(
        technician_client,
        page,
        lambda data: data.update(subject=["Caldaia in blocco"], technician=[str(technician.pk)]),
        post_url=ticket.get_absolute_url(),
    )
    table = history_table(technician_client.get(page))
    assert table.headings == ["Storico delle modifiche"]
    assert [row[1:] for row in table.rows[:2]] == [
        ["Luca Verdi", "Oggetto", ticket.subject, "Caldaia in blocco"],
        ["Luca Verdi", "Tecnico", "—", "assistenza"],
    ]


@pytest.mark.parametrize("changes", [1, 25])
def test_the_activity_page_costs_the_same_queries_however_long_the_history(
    technician_client, activity, django_assert_max_num_queries, changes
):
    for number in range(changes):
        colleague = UserFactory(username=f"tecnico{number}")
        activity.duration_minutes = 60 + number
        activity.technician = colleague
        activity.status = ActivityStatusFactory(name=f"Stato {number}")
        record_changes_by(activity, colleague)
        save_activity(activity=activity, actor=colleague)
    # 18: the page, the form's choices (types, statuses, conditions), the materials with the
    # products of their rows (read once for all rows), and the history.
    with django_assert_max_num_queries(18):
        response = technician_client.get(activity_url(activity))
    assert len(history_rows(response)) >= 3 * changes
