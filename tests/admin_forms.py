"""Turn an admin change page into the POST data its form would send, for editing in tests."""

import datetime

from django import forms


def _field_data(bound_field) -> dict[str, str]:
    widget = bound_field.field.widget
    value = bound_field.value()
    name = bound_field.html_name
    if isinstance(widget, forms.MultiWidget):
        parts = widget.decompress(value) if not isinstance(value, list) else value
        return {f"{name}_{index}": _text(part) for index, part in enumerate(parts)}
    if isinstance(widget, forms.CheckboxInput):
        return {name: "on"} if value else {}
    if isinstance(value, list | tuple):  # a multiple choice, such as a lesson's topics
        return {name: [_text(item) for item in value]}
    return {name: _text(value)}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S")
    return str(value)


def change_form_data(response) -> dict[str, str]:
    """Everything the change form on this admin page would submit, as it stands."""
    data: dict[str, str] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data.update(_field_data(form[name]))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data.update(_field_data(formset.management_form[name]))
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data.update(_field_data(inline_form[name]))
    return data


def inline_rows(data: dict[str, str], prefix: str) -> int:
    return int(data[f"{prefix}-TOTAL_FORMS"])


def add_inline_row(data: dict[str, str], prefix: str, **fields) -> None:
    """Add a new row to an inline formset, as "Add another" would."""
    index = inline_rows(data, prefix)
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = str(value)


def form_errors(response) -> list:
    """The errors a re-shown admin form carries, to explain a save that did not happen."""
    if response.context is None or "adminform" not in response.context:
        return []
    errors = [response.context["adminform"].form.errors]
    for inline in response.context["inline_admin_formsets"]:
        errors += [inline.formset.non_form_errors(), *inline.formset.errors]
    return [error for error in errors if error]
