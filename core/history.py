"""Who changed a record, when, and what it was before and after.

The records are django-simple-history's: every historised model has `history =
HistoricalRecords()` (users are registered in crm_billing). This module is the one place that
turns them into the rows every record page shows, so a value reads the same everywhere: a
foreign key by its str(), amounts as 1.234,56, dates as dd/mm/yyyy, booleans as Sì/No, a
function (permission) by its name in the user's language."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format, localize, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from simple_history.models import HistoricalRecords

from core.actors import Actor

# The page shows the latest changes only: the table stays short and costs a fixed number of
# queries however long the record's life.
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class HistoryRow:
    when: datetime
    who: str
    field: str
    before: str = ""
    after: str = ""


@dataclass
class History:
    rows: list[HistoryRow] = field(default_factory=list)
    # True when older changes exist than the ones shown.
    more: bool = False
    limit: int = HISTORY_LIMIT


def record_changes_by(instance: models.Model, actor: Actor | None) -> None:
    """The history records written for `instance` from now on (its saves and, for a user, the
    changes of its functions) name `actor` as who made them; None stands for the system (a
    command, the demo data), whatever request is under way."""
    instance._history_user = actor


def record_history(record: models.Model, *, limit: int = HISTORY_LIMIT) -> History:
    """The latest `limit` changes of a historised record, newest first: one row per field that
    changed (per function granted or revoked), with who and when. A fixed number of queries: the
    records with their users, the many-to-many snapshots, and one per kind of related record."""
    history_model = record.history.model
    latest = record.history.select_related("history_user").order_by("-history_date", "-history_id")
    # One record more than shown: the state the oldest shown change started from.
    records = list(latest[: limit + 1])
    fields = [f for f in history_model.tracked_fields if not f.primary_key]
    m2m = _m2m_snapshots(history_model, records)
    pairs = [
        (newer, records[index + 1] if index + 1 < len(records) else None)
        for index, newer in enumerate(records[:limit])
    ]
    changes = [(newer, older, _changed(fields, newer, older)) for newer, older in pairs]
    related = _related_records(changes, m2m)
    rows = []
    for newer, older, changed in changes:
        who = _who(newer)
        if older is None:
            rows.append(HistoryRow(newer.history_date, who, _without_earlier_state(newer)))
            continue
        if newer.history_type == "-":
            rows.append(HistoryRow(newer.history_date, who, gettext("Deleted")))
            continue
        for model_field in changed:
            rows.append(
                HistoryRow(
                    newer.history_date,
                    who,
                    str(capfirst(model_field.verbose_name)),
                    _shown(model_field, getattr(older, model_field.attname), related),
                    _shown(model_field, getattr(newer, model_field.attname), related),
                )
            )
        for m2m_field, snapshots in m2m.items():
            rows.extend(_m2m_rows(m2m_field, snapshots, newer, older, who, related.get(m2m_field)))
    return History(rows=rows, more=len(records) > limit, limit=limit)


def _changed(fields, newer, older):
    if older is None:
        return []
    return [f for f in fields if getattr(newer, f.attname) != getattr(older, f.attname)]


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return gettext("System")
    return user.get_full_name() or user.get_username()


def _without_earlier_state(record) -> str:
    if record.history_type == "+":
        return gettext("Created")
    if record.history_type == "-":
        return gettext("Deleted")
    # A record older than its history (or whose earlier changes were purged).
    return gettext("Changed (the earlier state was not recorded)")


def _m2m_snapshots(history_model, records) -> dict:
    """{many-to-many field: {history id: set of related ids}}, one query per field."""
    snapshots = {}
    ids = [r.history_id for r in records]
    for m2m_field in history_model._history_m2m_fields:
        snapshot_model = HistoricalRecords.m2m_models[m2m_field]
        target = m2m_field.m2m_reverse_field_name()
        by_record = {history_id: set() for history_id in ids}
        for history_id, target_id in snapshot_model.objects.filter(history_id__in=ids).values_list(
            "history_id", f"{target}_id"
        ):
            by_record[history_id].add(target_id)
        snapshots[m2m_field] = by_record
    return snapshots


def _related_records(changes, m2m) -> dict:
    """{field: {pk: record}} for the related records the rows name, one query per field."""
    wanted = {}
    for newer, older, changed in changes:
        for model_field in changed:
            if model_field.is_relation:
                ids = wanted.setdefault(model_field, set())
                ids.update(
                    getattr(record, model_field.attname)
                    for record in (newer, older)
                    if getattr(record, model_field.attname) is not None
                )
        if older is not None:
            for m2m_field, snapshots in m2m.items():
                ids = wanted.setdefault(m2m_field, set())
                ids.update(snapshots[newer.history_id] ^ snapshots[older.history_id])
    return {
        model_field: _in_bulk(model_field.related_model, ids)
        for model_field, ids in wanted.items()
        if ids
    }


def _in_bulk(model, ids) -> dict:
    # str() of a related record may read its own foreign keys (an order names its type):
    # follow them in the same query.
    return model._base_manager.select_related().in_bulk(ids)


def _label(obj) -> str:
    if isinstance(obj, Permission):
        # A function: its stored (English) name, in the user's language.
        return gettext(obj.name)
    return str(obj)


def _shown(model_field, value, related) -> str:
    if value is None or value == "":
        return ""
    if model_field.is_relation:
        obj = related.get(model_field, {}).get(value)
        return _label(obj) if obj is not None else f"#{value}"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Decimal):
        places = getattr(model_field, "decimal_places", None)
        return number_format(value, places, use_l10n=True, force_grouping=True)
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(localize(value))


def _m2m_rows(m2m_field, snapshots, newer, older, who, related) -> list[HistoryRow]:
    related = related or {}
    now, before = snapshots[newer.history_id], snapshots[older.history_id]

    def heading(pk):
        obj = related.get(pk)
        item = _label(obj) if obj is not None else f"#{pk}"
        if m2m_field.related_model is Permission:
            return gettext("Function “%(name)s”") % {"name": item}
        return f"{capfirst(m2m_field.verbose_name)}: {item}"

    granted, revoked = gettext("granted"), gettext("revoked")
    return [
        HistoryRow(newer.history_date, who, title, "", granted)
        for title in sorted(map(heading, now - before), key=str.casefold)
    ] + [
        HistoryRow(newer.history_date, who, title, granted, revoked)
        for title in sorted(map(heading, before - now), key=str.casefold)
    ]
