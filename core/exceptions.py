"""The one exception family of the project: a business rule said no."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule said no. The message is for the user, in their language."""

    default_message = _("The operation is not allowed.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))
