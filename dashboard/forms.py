from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chat import tasks
from chat.models import Agent, Conversation, Label, Site
from chat.notifications import EVENTS as NOTIFY_EVENTS


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


class ProfileForm(forms.Form):
    """The signed-in agent's own preferences (``services.agent_profile_update`` saves)."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=100,
        required=False,
        help_text=_("Shown to visitors and to the other agents. Empty: your user name."),
    )
    avatar = forms.FileField(
        label=_("Picture"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP. Visitors see it in the chat's header."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    avatar_remove = forms.BooleanField(label=_("Remove my picture"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The dashboard's language. Following your browser uses its preferred one."),
    )
    notify_sound = forms.BooleanField(
        label=_("Play a sound when a visitor is waiting or writes to you"), required=False
    )
    notify_desktop = forms.BooleanField(
        label=_("Show desktop notifications"),
        required=False,
        help_text=_("Your browser asks for permission the first time."),
    )
    # Per event, which of the two ways above announce it (chat.notifications).
    notify_waiting = forms.MultipleChoiceField(
        label=_("A visitor is waiting"), required=False, widget=forms.CheckboxSelectMultiple
    )
    notify_message = forms.MultipleChoiceField(
        label=_("A new message in one of my conversations"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notify_assigned = forms.MultipleChoiceField(
        label=_("A conversation is assigned to me"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        # Each language in its own name, so anyone can find theirs.
        language.choices = [("", _("Follow my browser")), *settings.LANGUAGES]
        for event in NOTIFY_EVENTS:
            field = self.fields[f"notify_{event}"]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = [("sound", _("Sound")), ("desktop", _("Desktop notification"))]
        self.helper = FormHelper()
        self.helper.form_tag = False


class AccountPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the mail is sent by the background worker
    (chat.tasks.email_account_link), and someone invited who never chose a password may
    ask for a new link too. Says the same whether or not the address is known."""

    def get_users(self, email: str) -> Iterator[Any]:
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.lower() == email.lower())

    def save(  # type: ignore[override]
        self,
        domain_override: str | None = None,
        use_https: bool = False,
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        domain = domain_override or (request.get_host() if request is not None else "localhost")
        base_url = f"{'https' if use_https else 'http'}://{domain}"
        for user in self.get_users(self.cleaned_data["email"]):
            tasks.email_account_link.enqueue(user_id=user.pk, kind="reset", base_url=base_url)
