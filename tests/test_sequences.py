from tests.factories import ActivityFactory, CustomerFactory, TicketFactory


def test_every_row_a_test_makes_has_an_id_over_10000(db):
    activity = ActivityFactory()
    rows = [activity, activity.ticket, activity.ticket.customer, activity.status, CustomerFactory()]
    assert all(row.pk > 10_000 for row in rows)


def test_tables_start_at_different_points(db):
    assert TicketFactory().pk != CustomerFactory().pk
