"""The project's one field markup (core.forms.FormRenderer) and its dropdowns' options."""

from django import forms
from django.utils import translation

from core.forms import StyledForm


class Sample(StyledForm, forms.Form):
    name = forms.CharField(label="Nome", help_text="Come in fattura")
    kind = forms.ChoiceField(
        label="Tipo",
        choices=[("", "---"), ("Gruppo", [(10001, "Uno <b>"), (10002, "Due")]), (10003, "Tre")],
    )
    urgent = forms.BooleanField(label="Urgente", required=False)
    days = forms.MultipleChoiceField(
        label="Giorni",
        choices=[("mon", "lunedì"), ("tue", "martedì")],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def test_a_field_has_its_label_help_and_errors_tied_to_its_widget():
    form = Sample({"name": "", "kind": "10002"})
    html = form["name"].as_field_group()
    label = '<label class="form-label" for="id_name">Nome<span class="text-danger"'
    assert label + ' aria-hidden="true">*</span></label>' in html
    assert '<div class="form-text" id="id_name_helptext">Come in fattura</div>' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html and "is-invalid" in html
    assert 'class="invalid-feedback d-block" id="id_name_error"' in html


def test_a_check_box_follows_bootstraps_form_check_and_a_group_of_boxes_is_a_fieldset():
    form = Sample()
    urgent = form["urgent"].as_field_group()
    assert '<div class="mb-3 form-check">' in urgent
    assert 'class="form-check-input"' in urgent and 'for="id_urgent"' in urgent
    days = form["days"].as_field_group()
    assert days.startswith('<fieldset class="mb-3">') and "<legend" in days
    assert '<label class="form-check-label" for="id_days_1">martedì</label>' in days


def test_options_are_escaped_grouped_selected_and_their_values_never_localised():
    with translation.override("it"):
        html = str(Sample({"kind": "10002"})["kind"])
    assert '<optgroup label="Gruppo"><option value="10001">Uno &lt;b&gt;</option>' in html
    assert '<option value="10002" selected>Due</option></optgroup>' in html
    assert '<option value="10003">Tre</option>' in html and "10.00" not in html
