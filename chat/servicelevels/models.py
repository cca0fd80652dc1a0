"""A site's promises (hours, assignment, capacity) and the events that measure them."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from chat.models import Agent, Conversation, Site


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("%(value)s is not a time zone (e.g. Europe/Berlin).") % {"value": repr(value)}
        ) from exc


class SiteSchedule(models.Model):
    """One site's service settings. A site without one: always open, assignment off."""

    class Assignment(models.TextChoices):
        OFF = "off", _("Off: agents claim from the pool")
        ROUND_ROBIN = "round_robin", _("Round robin")
        BALANCED = "balanced", _("Balanced (fewest open conversations)")

    class AwayPolicy(models.TextChoices):
        KEEP = "keep", _("Keep their conversations")
        RETURN = "return", _("Return them to the queue after the grace period")

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="service_schedule")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    hours_enabled = models.BooleanField(
        default=False, help_text=_("Off: always within hours. On: the weekly hours below.")
    )
    assignment = models.CharField(max_length=12, choices=Assignment.choices, default=Assignment.OFF)
    default_capacity = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Most open conversations an agent is assigned (an agent may override it)."),
    )
    forbid_claim_over_capacity = models.BooleanField(
        default=False,
        help_text=_("Refuse a Claim that would take an agent past their capacity."),
    )
    away_policy = models.CharField(
        max_length=6, choices=AwayPolicy.choices, default=AwayPolicy.KEEP
    )
    away_grace_minutes = models.PositiveSmallIntegerField(default=5)
    expected_reply_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Told to visitors within hours. Empty: not shown.")
    )

    class ReplyEstimate(models.TextChoices):
        FIXED = "fixed", _("Fixed: the expected reply time above (or the widget's own text)")
        MEASURED = "measured", _("Measured: the median first response time of the last 7 days")

    reply_estimate = models.CharField(
        max_length=8,
        choices=ReplyEstimate.choices,
        default=ReplyEstimate.FIXED,
        help_text=_("What the widget tells visitors about when a reply comes."),
    )

    def __str__(self) -> str:
        return f"Service levels of {self.site}"


class WeeklyHours(models.Model):
    """One opening span of a weekday, in the schedule's time zone."""

    schedule = models.ForeignKey(SiteSchedule, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ]
    )
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "weekly hours"
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="hours_open_first")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Holiday(models.Model):
    """A date on which the site is closed all day."""

    schedule = models.ForeignKey(SiteSchedule, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="holiday_once_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class AgentCapacity(models.Model):
    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="service_capacity")
    capacity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Empty: each site's default capacity.",
    )
    # Set when the agent stops being available, cleared when they come back: the away
    # policy returns their conversations once this is older than the grace period.
    away_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "agent capacities"

    def __str__(self) -> str:
        return f"{self.agent}: {self.capacity or 'site default'}"


class ConversationViewer(models.Model):
    """An agent's transcript socket open on a conversation (collision hints).

    Alive while the socket's presence lease (:class:`chat.models.Presence`, same
    ``channel_name``) is: the socket's process renews it, and a process that dies stops
    renewing it. A socket that ends deletes its row at once (``chat.services.presence``).
    """

    channel_name = models.CharField(max_length=200, unique=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation"], name="sl_viewer_conv_idx")]

    def __str__(self) -> str:
        return f"{self.agent} viewing {self.conversation_id}"


class ServiceEvent(models.Model):
    """What happened to a conversation, stored when it happened (reports read these)."""

    class Kind(models.TextChoices):
        ARRIVED = "arrived", "Arrived"
        ASSIGNED = "assigned", "Assigned"
        RETURNED = "returned", "Returned to the queue"
        FIRST_REPLY = "first_reply", "First agent reply"
        RESOLVED = "resolved", "Resolved"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    out_of_hours = models.BooleanField(default=False)
    # first_reply: since arrival; resolved: since arrival. Business seconds count only
    # the site's hours (equal to seconds for a site without hours).
    seconds = models.PositiveIntegerField(null=True, blank=True)
    business_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Arrivals only: the local date and hour of the week (Monday 0:00 = 0 ... 167) in the
    # site's time zone, stored so that the reports group by plain columns.
    day = models.DateField(null=True, blank=True)
    week_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    # Arrivals: an agent has replied (set with the first reply). Resolutions: the
    # visitor's rating, set when they rate. Kept here so reports need no join.
    answered = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    # Resolutions: the visitor left a comment with the rating (the text stays on the
    # conversation); the comments report reads only these rows.
    commented = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(kind="first_reply"),
                name="sl_event_one_first_reply",
            )
        ]
        indexes = [
            # Covering indexes: each report query reads one of them and no table rows.
            models.Index(
                fields=["site", "kind", "at", "agent", "seconds", "business_seconds", "rating"],
                name="sl_event_report_idx",
            ),
            models.Index(fields=["agent", "kind", "at"], name="sl_event_agent_idx"),
            # The per-agent report: read in (agent, kind) order, its GROUP BY needs no
            # sort (SQLite spent nine tenths of that query sorting without it).
            models.Index(fields=["site", "agent", "kind", "at"], name="sl_event_site_agent_idx"),
            models.Index(
                fields=["site", "at"],
                condition=Q(kind="resolved", commented=True),
                name="sl_event_comment_idx",
            ),
            models.Index(fields=["conversation", "kind"], name="sl_event_conv_idx"),
            models.Index(
                fields=["site", "kind", "day", "week_hour", "answered"], name="sl_event_day_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.conversation_id} at {self.at:%Y-%m-%d %H:%M}"
