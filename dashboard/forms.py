from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from chat.models import Agent, Conversation, Label, Site


class SignInForm(AuthenticationForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = FormHelper()
        self.helper.form_tag = False


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    status = forms.ChoiceField(
        required=False, choices=[("", _("Any status")), *Conversation.Status.choices]
    )


class InboxFilterForm(forms.Form):
    """The inbox views' filters. Choices are the agent's sites, their labels and agents, so a
    valid form names nothing outside them (and validating it costs no query)."""

    site = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Site"))
    label = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Label"))
    agent = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Agent"))
    q = forms.CharField(required=False, max_length=200, strip=True, label=_("Search"))

    def __init__(
        self,
        data: Any,
        *,
        sites: list[Site],
        labels: list[Label],
        agents: list[Agent],
        many_sites: bool,
    ) -> None:
        super().__init__(data)
        self.fields["site"].choices = [  # type: ignore[attr-defined]
            ("", _("All sites")),
            *((site.pk, site.name) for site in sites),
        ]
        self.fields["label"].choices = [  # type: ignore[attr-defined]
            ("", _("Any label")),
            *(
                (label.pk, f"{label.name} ({label.site.name})" if many_sites else label.name)
                for label in labels
            ),
        ]
        self.fields["agent"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            *((agent.pk, agent.name) for agent in agents),
        ]
