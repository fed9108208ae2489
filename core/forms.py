"""Form styling shared by every app (Bootstrap classes, Italian amounts), and the login form."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


def localize_decimals(form: forms.BaseForm) -> None:
    """Accept and show amounts the Italian way (1.234,56)."""
    for field in form.fields.values():
        if isinstance(field, forms.DecimalField):
            field.localize = True
            field.widget.is_localized = True
            # A localized number input would reject the comma, so amounts are text inputs.
            field.widget.input_type = "text"
            field.widget.attrs.setdefault("inputmode", "decimal")


class StyledForm:
    """Bootstrap classes on every widget and Italian amounts, for forms rendered field by field.
    Subclasses adjust their fields in setup_fields(), before the styling is applied."""

    small = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_fields()
        localize_decimals(self)
        self.style_widgets()

    def setup_fields(self):
        pass

    def style_widgets(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm" if self.small else "form-select"
            else:
                css = "form-control form-control-sm" if self.small else "form-control"
            widget.attrs["class"] = css


class LoginForm(AuthenticationForm):
    """Django's login form, with the user name's length enforced: an over-long name is refused
    by the form instead of reaching the login-failure log (axes) and the database."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(
            MaxLengthValidator(self.fields["username"].max_length or 150)
        )
