"""The product an activity's hours are billed as when its type names none: the activity
billing configuration's. crm_billing registers it as an expression at start-up (tickets does not
import crm_billing); the ticket list's estimated values read it in SQL, with no query of its own."""

from django.db.models import IntegerField, Value

_default_hours_product = None


def set_default_hours_product(expression_factory) -> None:
    """`expression_factory()` returns an expression of the product's id (a Subquery)."""
    global _default_hours_product
    _default_hours_product = expression_factory


def default_hours_product():
    if _default_hours_product is None:
        return Value(None, output_field=IntegerField())
    return _default_hours_product()
