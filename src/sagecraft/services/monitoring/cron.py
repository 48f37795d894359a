"""Monitoring schedule expressions and analysis-window offsets.

SageMaker accepts AWS's six-field cron (minutes hours day-of-month month day-of-week year) in the
forms Model Monitor allows: minute 0, an hour (``*``, ``H``, ``H/N``, ``*/N`` or a list of hours),
``?`` or ``*`` for the day fields, ``*`` for month and year — hourly ``cron(0 * ? * * *)``, daily
``cron(0 8 ? * * *)``, every N hours ``cron(0 0/6 ? * * *)`` — and ``NOW`` for a one-time schedule
(whose window is ScheduleConfig's DataAnalysisStartTime / DataAnalysisEndTime). Offsets are
ISO-8601 durations no later than now: ``-PT1H``, ``-P1D``, ``-PT0H``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sagecraft.core.errors import ValidationException

NOW = "NOW"
_CRON = re.compile(r"^cron\((.*)\)$")
_DURATION = re.compile(r"^-?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _invalid(expression: str) -> ValidationException:
    return ValidationException(
        f"Invalid ScheduleExpression {expression!r}: Model Monitor supports cron(0 * ? * * *) (hourly), "
        "cron(0 H ? * * *) (daily at hour H), cron(0 H/N ? * * *) (every N hours from hour H) and NOW "
        "(one time, with DataAnalysisStartTime and DataAnalysisEndTime).")


@dataclass(frozen=True)
class Schedule:
    """The hours of the day a cron schedule fires (minute 0); ``one_time`` for NOW."""

    hours: frozenset[int]
    one_time: bool = False

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first firing strictly after ``moment`` (None for a one-time schedule)."""
        if self.one_time:
            return None
        candidate = moment.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        for _ in range(48):
            if candidate.hour in self.hours:
                return candidate
            candidate += dt.timedelta(hours=1)
        return None  # unreachable: hours is never empty

    def latest_at_or_before(self, moment: dt.datetime) -> dt.datetime | None:
        if self.one_time:
            return None
        candidate = moment.replace(minute=0, second=0, microsecond=0)
        for _ in range(48):
            if candidate.hour in self.hours:
                return candidate
            candidate -= dt.timedelta(hours=1)
        return None


def _hours(field: str, expression: str) -> frozenset[int]:
    hours: set[int] = set()
    for part in field.split(","):
        if part == "*":
            hours.update(range(24))
        elif re.fullmatch(r"(\*|\d{1,2})/\d{1,2}", part):
            start, step = part.split("/")
            first, interval = (0 if start == "*" else int(start)), int(step)
            if first > 23 or not 1 <= interval <= 24:
                raise _invalid(expression)
            hours.update(range(first, 24, interval))
        elif re.fullmatch(r"\d{1,2}", part) and int(part) <= 23:
            hours.add(int(part))
        else:
            raise _invalid(expression)
    return frozenset(hours)


def parse(expression: str) -> Schedule:
    if expression.strip().upper() == NOW:
        return Schedule(frozenset(), one_time=True)
    match = _CRON.match(expression.strip())
    if not match:
        raise _invalid(expression)
    fields = match.group(1).split()
    if len(fields) != 6:
        raise _invalid(expression)
    minute, hour, day, month, weekday, year = fields
    if minute not in ("0", "00") or day not in ("?", "*") or month != "*" or weekday not in ("?", "*") \
            or year != "*" or (day == "*" and weekday == "*"):
        raise _invalid(expression)
    return Schedule(_hours(hour, expression))


def offset(value: str, what: str) -> dt.timedelta:
    """An ISO-8601 duration such as -PT1H as a (non-positive) timedelta."""
    match = _DURATION.match(value.strip()) if value else None
    if not match or value.strip() in ("P", "-P", "PT", "-PT"):
        raise ValidationException(f"{what} {value!r} is not an ISO-8601 duration such as -PT1H or -P1D.")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    amount = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if amount and not value.strip().startswith("-"):
        raise ValidationException(f"{what} {value!r} must be negative or zero: the window ends no later than "
                                  "the execution.")
    return -amount
