from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chat.servicelevels.models import Holiday, SiteSchedule, WeeklyHours


class SiteScheduleForm(forms.ModelForm[SiteSchedule]):
    class Meta:
        model = SiteSchedule
        fields = [
            "time_zone",
            "hours_enabled",
            "expected_reply_minutes",
            "reply_estimate",
            "assignment",
            "default_capacity",
            "forbid_claim_over_capacity",
            "away_policy",
            "away_grace_minutes",
        ]
        labels = {
            "time_zone": _("Time zone"),
            "hours_enabled": _("Business hours"),
            "expected_reply_minutes": _("Expected reply (minutes)"),
            "assignment": _("Assignment"),
            "default_capacity": _("Default capacity"),
            "forbid_claim_over_capacity": _("Forbid claims over capacity"),
            "away_policy": _("When an agent goes away"),
            "away_grace_minutes": _("Grace period (minutes)"),
        }


class WeeklyHoursForm(forms.ModelForm[WeeklyHours]):
    class Meta:
        model = WeeklyHours
        fields = ["weekday", "opens", "closes"]
        labels = {"weekday": _("Weekday"), "opens": _("Opens"), "closes": _("Closes")}
        widgets = {
            "opens": forms.TimeInput(attrs={"type": "time"}),
            "closes": forms.TimeInput(attrs={"type": "time"}),
        }


class HolidayForm(forms.ModelForm[Holiday]):
    class Meta:
        model = Holiday
        fields = ["date", "name"]
        labels = {"date": _("Date"), "name": _("Name")}
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


HoursFormSet = forms.inlineformset_factory(
    SiteSchedule, WeeklyHours, form=WeeklyHoursForm, fields=["weekday", "opens", "closes"], extra=2
)

HolidayFormSet = forms.inlineformset_factory(
    SiteSchedule, Holiday, form=HolidayForm, fields=["date", "name"], extra=1
)
