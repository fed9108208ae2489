from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectFunctions(models.Model):
    """Holds the functions that belong to no record of their own. Django hangs permissions on a
    model; this one has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("configure_billing", _("Billing configuration")),
            ("manage_users", _("User management")),
        ]

    def __str__(self):
        return "functions"
