from django_tasks import task

from crm_billing.services.runs import execute_billing_run


@task()
def run_billing(run_id: int) -> None:
    """Background "Fattura attività" for a large selection."""
    execute_billing_run(run_id=run_id)
