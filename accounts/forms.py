import zoneinfo
from functools import cache

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import TrustLevel, User


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)
    bio = forms.CharField(
        label=_("About me"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    timezone_name = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)

    @classmethod
    def for_user(cls, user: User, data=None) -> "ProfileForm":
        return cls(
            data=data,
            initial={
                "display_name": user.display_name,
                "bio": user.bio,
                "language": user.language,
                "timezone_name": user.timezone,
            },
        )


class TrustLevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Trust level"), choices=TrustLevel.choices, coerce=int)
    locked = forms.BooleanField(label=_("Lock this level"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, with its honeypot hidden by the stylesheet instead of an inline
    style attribute (the Content Security Policy forbids inline styles) and kept out of the
    keyboard order and of assistive technologies."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        honeypot = self.fields.get(settings.ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD)
        if honeypot is not None:
            honeypot.widget.attrs.pop("style", None)
            honeypot.widget.attrs.update(
                {"tabindex": "-1", "autocomplete": "off", "aria-hidden": "true"}
            )
            honeypot.label = ""


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What will use it, such as “CRM sync” or “my phone”."),
    )
