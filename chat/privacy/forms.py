from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chat.privacy.models import RetentionPolicy


class RetentionPolicyForm(forms.ModelForm[RetentionPolicy]):
    class Meta:
        model = RetentionPolicy
        fields = ["enabled", "days"]
        labels = {
            "enabled": _("Delete resolved conversations automatically"),
            "days": _("after this many days"),
        }
