"""Background tasks (Django Tasks API): inline after commit by default, `manage.py db_worker`
with the database backend."""

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def deliver_transmission(transmission_id: int) -> str | None:
    """One delivery attempt of a transmission to the ERP; returns its state afterwards, or None
    when there was nothing to do (not due, already done, or held by another worker)."""
    # Imported here: the ERP services enqueue this task, so they import this module.
    from backoffice.erp.services import deliver_transmission as deliver

    try:
        transmission = deliver(transmission_id=transmission_id)
    except Exception:
        # The inline backend keeps a task's error to itself: say it in the log.
        logger.exception("Delivery of transmission %s failed", transmission_id)
        raise
    return transmission.state if transmission is not None else None
