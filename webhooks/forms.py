"""Web input of the webhook pages. Validation of substance (the URL's addresses, the events,
the secret) is the services'; their errors are put back onto these forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.models import WebhookEvent


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Payload URL"),
        max_length=2000,
        help_text=_("Where deliveries are POSTed: an http:// or https:// address."),
        widget=forms.URLInput(attrs={"placeholder": "https://crm.example.com/hooks/causerie"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
    secret = forms.CharField(
        label=_("Secret"),
        max_length=200,
        required=False,
        help_text=_(
            "Signs every delivery (X-Causerie-Signature). Leave empty to get a random one "
            "(or, when editing, to keep the current one)."
        ),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
