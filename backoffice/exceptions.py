from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule said no. The message is for the user, in their language."""

    default_message = _("The operation is not allowed.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class OrderNotEditable(DomainError):
    default_message = _("The order can no longer be changed: it is not a draft.")


class OrderNotCancellable(DomainError):
    default_message = _("Only an order that was never sent to the ERP can be cancelled.")


class AlreadyBilled(DomainError):
    default_message = _("Already on a live order line.")
