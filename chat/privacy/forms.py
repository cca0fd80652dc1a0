from __future__ import annotations

from django import forms

from chat.privacy.models import RetentionPolicy


class RetentionPolicyForm(forms.ModelForm[RetentionPolicy]):
    class Meta:
        model = RetentionPolicy
        fields = ["enabled", "days"]
        labels = {
            "enabled": "Delete resolved conversations automatically",
            "days": "after this many days",
        }
