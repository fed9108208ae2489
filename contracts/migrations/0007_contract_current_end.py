"""Contract.current_end: the end of the contract's current period (its last renewal's, or its own
end date), stored for the Scadenzario rinnovi, filled from the periods already there."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest


def fill_current_end(apps, schema_editor):
    # As contracts.models.periods_end(), on the historical models.
    Contract = apps.get_model("contracts", "Contract")
    Renewal = apps.get_model("contracts", "Renewal")
    last_renewal_end = Subquery(
        Renewal.objects.filter(contract=OuterRef("pk")).order_by("-end_date").values("end_date")[:1]
    )
    Contract.objects.update(
        current_end=Greatest(Coalesce(last_renewal_end, F("end_date")), F("end_date"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0006_rates_and_prepaid_hours"),
    ]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="current_end",
            field=models.DateField(editable=False, null=True, verbose_name="current end"),
        ),
        migrations.RunPython(fill_current_end, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="contract",
            name="current_end",
            field=models.DateField(editable=False, verbose_name="current end"),
        ),
        migrations.AddIndex(
            model_name="contract",
            index=models.Index(
                condition=Q(cancelled_on__isnull=True),
                fields=["current_end", "number"],
                name="contract_due_for_renewal",
            ),
        ),
    ]
