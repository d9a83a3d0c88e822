"""Form helpers shared by every app's web views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def service_errors_to_form(exc: ValidationError, form: forms.Form) -> None:
    """Put a service's ValidationError on ``form``: an error naming one of the form's fields
    goes to that field, anything else on top of the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
