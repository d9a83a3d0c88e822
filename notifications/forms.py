"""Web input of the notifications app: e-mail preferences, digest schedule, muting members."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import (
    DigestSchedule,
    EmailFrequency,
    NotificationKind,
    Weekday,
)


class EmailPreferencesForm(forms.Form):
    """One choice per kind of notification: immediately, daily, weekly or never."""

    def __init__(self, *args, preferences: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[f"kind_{kind.value}"] = forms.ChoiceField(
                label=kind.label,
                choices=EmailFrequency.choices,
                initial=preferences.get(kind.value),
            )

    def choices(self) -> dict[str, str]:
        return {
            name.removeprefix("kind_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("kind_")
        }


class DigestScheduleForm(forms.Form):
    daily = forms.BooleanField(label=_("Send me a daily digest"), required=False)
    weekly = forms.BooleanField(label=_("Send me a weekly digest"), required=False)
    hour = forms.TypedChoiceField(
        label=_("At (your time zone)"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        initial=DigestSchedule.DEFAULT_HOUR,
    )
    weekday = forms.TypedChoiceField(
        label=_("Weekly digest on"),
        coerce=int,
        choices=Weekday.choices,
        initial=DigestSchedule.DEFAULT_WEEKDAY,
    )


class MuteForm(forms.Form):
    username = forms.CharField(label=_("Mute a member"), max_length=150)
