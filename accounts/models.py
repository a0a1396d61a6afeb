import datetime as dt
import zoneinfo
from functools import cache

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            "“%(value)s” is not a known time zone. Use a name like Europe/Paris or UTC.",
            params={"value": value},
        )


class User(AbstractUser):
    class GradeButtons(models.TextChoices):
        SIX = "six", "Six buttons (0–5, classic SM-2)"
        FOUR = "four", "Four buttons (Again, Hard, Good, Easy)"

    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    day_starts_at = models.PositiveSmallIntegerField(
        "day starts at (hour)",
        default=4,
        validators=[MaxValueValidator(23)],
        help_text="Reviews before this hour count for the previous day.",
    )
    new_cards_per_day = models.PositiveIntegerField(
        default=20, validators=[MinValueValidator(0), MaxValueValidator(9999)]
    )
    max_reviews_per_day = models.PositiveIntegerField(
        default=200, validators=[MinValueValidator(0), MaxValueValidator(99999)]
    )
    grade_buttons = models.CharField(
        max_length=4, choices=GradeButtons.choices, default=GradeButtons.SIX
    )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def review_day(self, at: dt.datetime | None = None) -> dt.date:
        """The user's review day: their local date, with the day turning over
        at `day_starts_at` rather than at midnight."""
        local = timezone.localtime(at or timezone.now(), self.zone)
        return (local - dt.timedelta(hours=self.day_starts_at)).date()
