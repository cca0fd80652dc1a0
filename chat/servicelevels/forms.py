from __future__ import annotations

from django import forms

from chat.servicelevels.models import Holiday, SiteSchedule, WeeklyHours


class SiteScheduleForm(forms.ModelForm[SiteSchedule]):
    class Meta:
        model = SiteSchedule
        fields = [
            "time_zone",
            "hours_enabled",
            "expected_reply_minutes",
            "assignment",
            "default_capacity",
            "forbid_claim_over_capacity",
            "away_policy",
            "away_grace_minutes",
        ]


HoursFormSet = forms.inlineformset_factory(
    SiteSchedule,
    WeeklyHours,
    fields=["weekday", "opens", "closes"],
    extra=2,
    widgets={
        "opens": forms.TimeInput(attrs={"type": "time"}),
        "closes": forms.TimeInput(attrs={"type": "time"}),
    },
)

HolidayFormSet = forms.inlineformset_factory(
    SiteSchedule,
    Holiday,
    fields=["date", "name"],
    extra=1,
    widgets={"date": forms.DateInput(attrs={"type": "date"})},
)
