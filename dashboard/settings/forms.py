from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chat.models import WIDGET_LANGUAGE_CHOICES, Site
from chat.validators import normalise_origin, validate_origin_list

SETTINGS_FIELDS = [
    "name",
    "allowed_origins",
    "accent_color",
    "position",
    "launcher_label",
    "greeting",
    "offline_message",
    "reply_time",
    "language",
    "show_team",
    "sound",
]


class SiteSettingsForm(forms.ModelForm[Site]):
    class Meta:
        model = Site
        fields = SETTINGS_FIELDS
        labels = {
            "name": _("Name"),
            "allowed_origins": _("Allowed origins"),
            "accent_color": _("Accent colour"),
            "position": _("Position"),
            "launcher_label": _("Launcher label"),
            "greeting": _("Greeting"),
            "offline_message": _("Away message"),
            "reply_time": _("Expected reply time"),
            "language": _("Language"),
            "show_team": _("Show the team's initials in the header"),
            "sound": _("Sound on a new reply while the chat is closed"),
        }
        help_texts = {
            "show_team": "",  # the labels say it all
            "sound": "",
            "allowed_origins": _(
                "One per line, exactly as browsers send it: scheme://host[:port], "
                "e.g. https://shop.example.com. No paths, wildcards or duplicates."
            ),
            "launcher_label": _("Text beside the launcher's icon. Empty: icon only."),
            "reply_time": _('Shown in the header, e.g. "Usually replies within an hour".'),
            "language": _(
                "Follow the browser: each visitor gets their browser's language "
                "(English when we do not have it)."
            ),
        }
        widgets = {
            "allowed_origins": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "position": forms.RadioSelect,
            "greeting": forms.TextInput,
            "offline_message": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        position = self.fields["position"]
        language = self.fields["language"]
        assert isinstance(position, forms.ChoiceField) and isinstance(language, forms.ChoiceField)
        position.choices = [("right", _("Right")), ("left", _("Left"))]
        # Language names stay in their own language; only "follow the browser" is translated.
        language.choices = [
            ("auto", _("Follow the visitor's browser")),
            *WIDGET_LANGUAGE_CHOICES[1:],
        ]

    def clean_allowed_origins(self) -> str:
        """Refuse what can never match a browser's Origin; store the form browsers send."""
        value: str = self.cleaned_data["allowed_origins"]
        validate_origin_list(value)
        return "\n".join(normalise_origin(line) for line in value.splitlines() if line.strip())


class AllowOriginForm(forms.Form):
    origin = forms.CharField(max_length=200)


class LabelForm(forms.Form):
    """One label of a site: the add form, and each row's edit form (prefixed by its id)."""

    name = forms.CharField(max_length=50, label=_("Name"))
    color = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#6b7280",
        label=_("Colour"),
        error_messages={"invalid": _("A colour like #4f46e5.")},
        widget=forms.TextInput(attrs={"type": "color"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CannedResponseForm(forms.Form):
    """A canned response of a site: what the agent types after "/", and the text it inserts."""

    shortcut = forms.SlugField(
        max_length=40,
        label=_("Shortcut"),
        help_text=_('Letters, digits, "-" or "_". Agents type it after "/" in the composer.'),
    )
    text = forms.CharField(
        max_length=settings.CHAT_MESSAGE_MAX_LENGTH,
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    display_name = forms.CharField(
        max_length=100,
        required=False,
        label=_("Name"),
        help_text=_("How visitors and the team see them. They can change it later."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class TeamMemberForm(forms.Form):
    """An agent's sites (among those the admin manages) and capacity, on the Team page;
    prefixed by the agent's id, one per row."""

    sites = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label=_("Sites"),
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = forms.IntegerField(
        min_value=1,
        max_value=99,
        required=False,
        label=_("Capacity"),
        help_text=_(
            "Open conversations assigned to them at most, on all their sites. "
            "Empty: each site's default."
        ),
    )

    def __init__(self, *args: Any, sites: list[Site], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["sites"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(site.pk, site.name) for site in sites]
