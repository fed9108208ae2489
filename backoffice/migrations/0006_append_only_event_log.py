"""The order event log is append-only in the database, not only in OrderEvent.save()/delete():
a queryset's update() or delete() is refused too.

- No UPDATE, ever: a row trigger refuses it at once.
- No DELETE, unless the event's order is deleted in the same transaction: checked when the
  transaction commits. An order is never deleted by the application (it is cancelled), so this
  only lets the whole database be emptied: Django's `flush`, which the test suite runs after
  every transactional test, deletes every table in no fixed order on SQLite (DELETE FROM each)
  and truncates them on PostgreSQL (TRUNCATE fires no row trigger).

PostgreSQL: a BEFORE UPDATE trigger, and a deferred constraint trigger on DELETE that fails at
commit if the order still exists.

SQLite has no deferred triggers, but it has deferred foreign keys: every event gets a guard row
(written by an insert trigger) that references the event, with a check deferred to the commit,
and its order, ON DELETE CASCADE. Deleting an event leaves its guard pointing at nothing, which
fails at commit unless the order went too (taking the guard with it), in either order.

On SQLite a later migration that rebuilds the backoffice_orderevent table (Django's table remake
for most AlterField) drops its triggers: it must create them again. The tests in
tests/backoffice/test_event_log.py fail if that is forgotten.
"""

from django.db import migrations

MESSAGE_UPDATE = "The order event log is append-only: an event cannot be changed."
MESSAGE_DELETE = "The order event log is append-only: an event is deleted only with its order."

POSTGRESQL = [
    f"""
    CREATE FUNCTION backoffice_orderevent_refuse_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE_UPDATE}' USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER backoffice_orderevent_no_update
    BEFORE UPDATE ON backoffice_orderevent
    FOR EACH ROW EXECUTE FUNCTION backoffice_orderevent_refuse_update()
    """,
    f"""
    CREATE FUNCTION backoffice_orderevent_deleted_with_order() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM backoffice_order WHERE id = OLD.order_id) THEN
            RAISE EXCEPTION '{MESSAGE_DELETE}' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER backoffice_orderevent_no_delete
    AFTER DELETE ON backoffice_orderevent
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION backoffice_orderevent_deleted_with_order()
    """,
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER backoffice_orderevent_no_delete ON backoffice_orderevent",
    "DROP FUNCTION backoffice_orderevent_deleted_with_order()",
    "DROP TRIGGER backoffice_orderevent_no_update ON backoffice_orderevent",
    "DROP FUNCTION backoffice_orderevent_refuse_update()",
]

SQLITE = [
    """
    CREATE TABLE backoffice_orderevent_guard (
        event_id integer NOT NULL PRIMARY KEY
            REFERENCES backoffice_orderevent (id) DEFERRABLE INITIALLY DEFERRED,
        order_id bigint NOT NULL
            REFERENCES backoffice_order (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
    )
    """,
    "CREATE INDEX backoffice_orderevent_guard_order ON backoffice_orderevent_guard (order_id)",
    "INSERT INTO backoffice_orderevent_guard (event_id, order_id) "
    "SELECT id, order_id FROM backoffice_orderevent",
    """
    CREATE TRIGGER backoffice_orderevent_guarded
    AFTER INSERT ON backoffice_orderevent
    BEGIN
        INSERT INTO backoffice_orderevent_guard (event_id, order_id)
        VALUES (NEW.id, NEW.order_id);
    END
    """,
    f"""
    CREATE TRIGGER backoffice_orderevent_no_update
    BEFORE UPDATE ON backoffice_orderevent
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE_UPDATE}');
    END
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER backoffice_orderevent_no_update",
    "DROP TRIGGER backoffice_orderevent_guarded",
    "DROP TABLE backoffice_orderevent_guard",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise NotImplementedError(
                f"The append-only order event log has no triggers for {vendor}."
            )
        for statement in statements_by_vendor[vendor]:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0005_master_data_history"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
