from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from chat.models import Conversation


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
