"""Which task backend, which moment: the database backend writes the delivery task in the send's
own transaction; RQ (Redis, not this database) is told only after the commit, never for a send
that was rolled back, and a Redis that is down does not turn a committed send into an error."""

import pytest
import redis
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from django_tasks_rq import RQBackend

from backoffice.erp import services as erp
from backoffice.models import Transmission


@pytest.fixture
def rq_enqueued(erp_settings, monkeypatch):
    """The RQ backend, its enqueue recorded instead of reaching Redis."""
    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    enqueued = []
    monkeypatch.setattr(
        RQBackend, "enqueue", lambda self, task, args, kwargs: enqueued.append(list(args))
    )
    return enqueued


def test_rq_is_told_after_the_commit(
    order, backoffice_user, rq_enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transmission = erp.send_order(order=order, actor=backoffice_user)
        assert rq_enqueued == []  # committed later: nothing in Redis yet
    assert rq_enqueued == [[transmission.pk]]


def test_rq_is_never_told_of_a_send_rolled_back(
    order, backoffice_user, rq_enqueued, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        erp.send_order(order=order, actor=backoffice_user)
        raise RuntimeError("the request failed after the send")
    assert callbacks == []
    assert rq_enqueued == []
    assert not Transmission.objects.exists()


def test_a_redis_down_leaves_the_committed_send_to_the_sweep(
    order, backoffice_user, erp_settings, monkeypatch, django_capture_on_commit_callbacks
):
    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}

    def down(self, task, args, kwargs):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(RQBackend, "enqueue", down)
    with django_capture_on_commit_callbacks(execute=True):
        transmission = erp.send_order(order=order, actor=backoffice_user)  # no error page
    transmission.refresh_from_db()
    assert transmission.state == Transmission.State.QUEUED
    # The sweep finds it (grace 0 in these tests) and enqueues it again, after its commit.
    monkeypatch.undo()
    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    enqueued = []
    monkeypatch.setattr(
        RQBackend, "enqueue", lambda self, task, args, kwargs: enqueued.append(list(args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert erp.sweep_transmissions() == [transmission.pk]
    assert enqueued == [[transmission.pk]]


def test_the_database_backend_writes_the_task_in_the_same_transaction(
    order, backoffice_user, erp_settings
):
    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    transmission = erp.send_order(order=order, actor=backoffice_user)
    task = DBTaskResult.objects.get()  # before any commit: written with the transmission
    assert task.args_kwargs["args"] == [transmission.pk]
