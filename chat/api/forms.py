from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from chat.models import Site


class TokenForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What uses it, e.g. “CRM sync”.")
    )

    def __init__(self, *args: object, sites: QuerySet[Site], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        only = list(sites[:2])
        if len(only) == 1:  # one site: nothing to choose
            self.fields["site"].initial = only[0].pk
