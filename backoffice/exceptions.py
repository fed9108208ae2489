"""What the Back Office refuses about orders and their sends to the ERP."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError


class AmountTooLarge(DomainError):
    default_message = _(
        "The amount is too large: a line and an order can hold at most 999.999.999.999,99 €."
    )


class OrderNotEditable(DomainError):
    default_message = _("The order can no longer be changed: it is not a draft.")


class OrderNotCancellable(DomainError):
    default_message = _("Only an order that was never sent to the ERP can be cancelled.")


class AlreadyBilled(DomainError):
    default_message = _("Already on a live order line.")


class OrderNotSendable(DomainError):
    """The order cannot go to the ERP as it is. `problems` lists every reason at once, so the
    user can correct them all before trying again."""

    default_message = _("The order cannot be sent to the ERP:")

    def __init__(self, problems=(), message=None):
        self.problems = list(problems)
        super().__init__(message)

    def __str__(self):
        return " ".join([str(self.message), *(str(problem) for problem in self.problems)])


class OrderAlreadySent(DomainError):
    default_message = _("The order is already being sent to the ERP, or was sent.")


class OrderChangedMeanwhile(DomainError):
    default_message = _(
        "The order changed since the page was opened (a send failed meanwhile). "
        "Check it, then send it again."
    )


class TransmissionNotResendable(DomainError):
    default_message = _("Only the latest send, when it failed, can be sent again.")


class RecordInUse(DomainError):
    default_message = _("The record is in use and cannot be deleted: switch it off instead.")
