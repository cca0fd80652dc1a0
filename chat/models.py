"""The chat domain: sites that embed the widget, their visitors, agents, conversations."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.languages import effective_language
from chat.names import friendly_name
from chat.validators import validate_origin_list

WIDGET_LANGUAGE_CHOICES = [
    ("auto", "Follow the visitor's browser"),
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt", "Português"),
    ("ar", "العربية"),
]

ConversationStatusValue = Literal["waiting", "open", "resolved"]
SenderValue = Literal["visitor", "agent", "system", "note"]

conversation_public_id_validator = RegexValidator(
    r"^[A-Za-z0-9_-]{8,64}$", "8 to 64 letters, digits, '-' or '_'."
)


def new_widget_key() -> str:
    return secrets.token_urlsafe(12)


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


class Site(models.Model):
    name = models.CharField(max_length=100)
    widget_key = models.SlugField(
        max_length=64,
        unique=True,
        default=new_widget_key,
        help_text="Public key the embed snippet names in data-site.",
    )
    allowed_origins = models.TextField(
        blank=True,
        validators=[validate_origin_list],
        help_text="Origins allowed to embed the widget, one per line "
        "(e.g. https://shop.example.com). Empty: browsers are refused.",
    )
    greeting = models.CharField(max_length=200, default="Hi! How can we help?")
    accent_color = models.CharField(
        max_length=7,
        default="#4f46e5",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour like #4f46e5.")],
    )
    offline_message = models.CharField(
        max_length=300,
        default="We're away right now. Leave your email and we'll reply there.",
    )
    identity_secret = models.CharField(
        max_length=128,
        default=new_identity_secret,
        help_text="Shared with the site's server to sign user ids (HMAC-SHA256) for identify.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # How the widget looks and speaks (dashboard → site settings).
    position = models.CharField(
        max_length=5, choices=[("right", "Right"), ("left", "Left")], default="right"
    )
    launcher_label = models.CharField(
        max_length=40, blank=True, help_text="Text beside the launcher's icon. Empty: icon only."
    )
    reply_time = models.CharField(
        max_length=100,
        blank=True,
        help_text='Shown in the header, e.g. "Usually replies within an hour".',
    )
    language = models.CharField(
        max_length=5,
        choices=WIDGET_LANGUAGE_CHOICES,
        default="auto",
        help_text="The widget's language: the visitor's browser language, or always this one.",
    )
    show_team = models.BooleanField(
        default=True, help_text="Show the team's initials in the widget header."
    )
    sound = models.BooleanField(
        default=True, help_text="Play a sound on a new reply while the chat is closed."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def origin_list(self) -> list[str]:
        return [
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        ]


class Visitor(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="visitors")
    name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    # Set by a verified identify (HMAC of the site owner's user id): the same person on
    # another device maps to this row.
    external_id = models.CharField(max_length=128, blank=True)
    is_verified = models.BooleanField(default=False)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now_add=True)
    open_sockets = models.PositiveIntegerField(default=0)  # unused since presence leases
    # What agents were last told (online dot): kept in step with the visitor's presence
    # leases by chat.services.presence. The leases are the truth.
    is_present = models.BooleanField(default=False)
    user_agent = models.CharField(max_length=400, blank=True)
    page_url = models.URLField(max_length=1000, blank=True)
    referrer = models.URLField(max_length=1000, blank=True)
    language = models.CharField(max_length=35, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    # Custom attributes the site passed through identify (plan, company, ...), and the
    # pages visited in the current browsing session as the widget reports them
    # ([{"url", "title", "at"}], newest last, capped).
    attributes = models.JSONField(default=dict, blank=True)
    pages = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "external_id"],
                condition=~Q(external_id=""),
                name="visitor_unique_external_id_per_site",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """A readable name: the one given, else the email, else a stable anonymous label."""
        return self.name or self.email or friendly_name(str(self.id))

    @property
    def is_online(self) -> bool:
        """As last broadcast: at most one presence sweep behind the leases."""
        return self.is_present


class Agent(models.Model):
    class Availability(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    display_name = models.CharField(max_length=100, blank=True)
    sites = models.ManyToManyField(Site, related_name="agents", blank=True)
    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.AWAY
    )
    last_seen = models.DateTimeField(null=True, blank=True)
    # Last sign of a person at the dashboard (input, an action): idle agents go away.
    last_active = models.DateTimeField(null=True, blank=True)
    # What visitors and agents were last told: available (the preference is online, a
    # dashboard socket holds a live lease, not idle). Kept in step by
    # chat.services.presence; chat.selectors.available_agents is the truth.
    is_available = models.BooleanField(default=False)
    # Profile preferences: the dashboard's language ("" follows the browser) and how new
    # messages are announced.
    language = models.CharField(max_length=10, blank=True)
    # The language the browser asked for at the last page load: what "follow the browser"
    # means for fragments rendered by broadcasts, which have no request.
    browser_language = models.CharField(max_length=10, blank=True)
    notify_sound = models.BooleanField(default=True)
    notify_desktop = models.BooleanField(default=False)
    # Per event, the ways it is announced ({"waiting": ["sound", "desktop"], ...}); an
    # event missing here uses both. notify_sound and notify_desktop switch each way off
    # for every event (chat.notifications reads the two together).
    notify_events = models.JSONField(default=dict, blank=True)
    # The agent's picture as we re-encoded it (a storage name), shown to the team and to
    # visitors; "" draws their initials.
    avatar = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_full_name() or self.user.get_username()

    @property
    def effective_language(self) -> str:
        """The language the dashboard speaks to this agent (chat.languages has the rule)."""
        return effective_language(preference=self.language, browser=self.browser_language)


class Label(models.Model):
    """A tag admins define per site (with a colour) and agents put on conversations."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    color = models.CharField(
        max_length=7, default="#6b7280", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")]
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="label_unique_name_per_site")
        ]

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    public_id = models.CharField(
        max_length=64, unique=True, validators=[conversation_public_id_validator]
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="conversations")
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="conversations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    assignee = models.ForeignKey(
        Agent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the conversation (re)entered the pool: the pool is ordered by it.
    waiting_since = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_preview = models.CharField(max_length=140, blank=True)
    # The newest message of any kind, and the newest one the visitor sees (not a note):
    # each broadcast message carries the previous value, so a socket notices a hole.
    last_message_id = models.BigIntegerField(default=0)
    last_public_message_id = models.BigIntegerField(default=0)
    visitor_last_read_id = models.BigIntegerField(default=0)
    agent_last_read_id = models.BigIntegerField(default=0)
    # Visitor messages after agent_last_read_id, kept with each write under the row lock:
    # the badge in "My conversations" costs no count query per message.
    agent_unread = models.PositiveIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(max_length=1000, blank=True)
    labels = models.ManyToManyField(Label, related_name="conversations", blank=True)
    # The chips of its row in the live lists, when whoever draws the whole row loaded
    # them: chat.selectors.with_row_labels, or the label service that changed them.
    row_labels: Sequence[Label] = ()

    class Meta:
        indexes = [
            models.Index(fields=["site", "status", "waiting_since"], name="conv_pool_idx"),
            models.Index(fields=["assignee", "status", "last_message_at"], name="conv_agent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="conversation_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(status="open") | Q(assignee__isnull=False),
                name="conversation_open_has_assignee",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id


class Message(models.Model):
    """One line of a transcript. The primary key is monotonic and orders a conversation."""

    class Sender(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"
        NOTE = "note", "Internal note"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(max_length=10, choices=Sender.choices)
    agent = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    body = models.TextField(max_length=settings.CHAT_MESSAGE_MAX_LENGTH)
    # Chosen by the sending client so that a retried send is stored once.
    client_id = models.CharField(max_length=64, blank=True)
    # The message's files (chat.attachments), when whoever read or wrote it loaded them:
    # chat.selectors.with_attachments, or the service that stored the message.
    attachment_list: Sequence[Any] = ()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"], name="message_after_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=~Q(client_id=""),
                name="message_unique_client_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.body[:40]}"


class CannedResponse(models.Model):
    shortcut = models.SlugField(max_length=40)
    text = models.TextField(max_length=settings.CHAT_MESSAGE_MAX_LENGTH)
    site = models.ForeignKey(
        Site,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        help_text="Empty: available on every site.",
    )
    agent = models.ForeignKey(
        Agent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        help_text="Set: only this agent sees it, on every site they serve.",
    )

    class Meta:
        ordering = ["shortcut"]
        constraints = [
            models.UniqueConstraint(fields=["site", "shortcut"], name="canned_unique_per_site"),
            models.UniqueConstraint(
                fields=["agent", "shortcut"],
                condition=Q(agent__isnull=False),
                name="canned_unique_per_agent",
                violation_error_message=_("You already have a response with that shortcut."),
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=True) | Q(agent__isnull=True),
                name="canned_site_or_agent",
                violation_error_message=_("A personal response belongs to no site."),
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut}"


class Presence(models.Model):
    """A lease held by one live socket: an agent's dashboard or a visitor's widget.

    The socket's process renews it while the socket lives; it counts only until
    ``expires_at``, so the sockets of a killed process stop counting within one lease,
    and a closed socket's lease is shortened to a grace period rather than deleted.
    """

    channel_name = models.CharField(max_length=200, unique=True)
    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, null=True, blank=True, related_name="presences"
    )
    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, null=True, blank=True, related_name="presences"
    )
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["agent", "expires_at"], name="presence_agent_idx"),
            models.Index(fields=["visitor", "expires_at"], name="presence_visitor_idx"),
            models.Index(fields=["expires_at"], name="presence_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(agent__isnull=True, visitor__isnull=False)
                | Q(agent__isnull=False, visitor__isnull=True),
                name="presence_agent_xor_visitor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent or self.visitor} until {self.expires_at:%H:%M:%S}"


class WidgetSighting(models.Model):
    """The widget loaded its config from a page on this origin: the install page's status.

    Written at most once a minute per (site, origin) by the config endpoint; refused
    origins are kept too (a few per site), so an owner sees where the snippet was pasted.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="sightings")
    origin = models.CharField(max_length=200)
    allowed = models.BooleanField()
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "origin"], name="sighting_unique_origin")
        ]

    def __str__(self) -> str:
        return f"{self.site} on {self.origin}"
