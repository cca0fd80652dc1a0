"""The endpoint form, shared by the dashboard page and the admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from chat.models import Site
from chat.webhooks.models import EVENT_TYPES, Endpoint

ENDPOINT_FIELDS = ["site", "url", "description", "event_types", "include_notes", "is_active"]


class EndpointForm(forms.ModelForm[Endpoint]):
    # The safety check (SSRF) is the model field's validator, run by the model form.
    url = forms.URLField(
        label=_("URL"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("http or https, reaching a public address."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Event types"),
        choices=[(t, t) for t in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        initial=list(EVENT_TYPES),
        help_text=_("The events sent to this URL."),
    )

    class Meta:
        model = Endpoint
        fields = ENDPOINT_FIELDS
        labels = {
            "site": _("Site"),
            "description": _("Description"),
            "include_notes": _("Include notes"),
            "is_active": _("Active"),
        }
        help_texts = {
            "include_notes": _("Also send agents' internal notes as message.created."),
        }

    def __init__(self, *args: Any, sites: QuerySet[Site] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sites is not None:
            site_field = self.fields["site"]
            assert isinstance(site_field, forms.ModelChoiceField)
            site_field.queryset = sites

    def clean_event_types(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["event_types"]
        # Stored in the documented order, whatever order the browser sent.
        return [t for t in EVENT_TYPES if t in chosen]
