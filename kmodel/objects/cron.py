"""Cron schedules as ``github.com/robfig/cron/v3`` parses and runs them for CronJobs.

``ParseStandard``: five fields (minute, hour, day of month, month, day of week) of ``*``,
``?``, values, ranges ``a-b``, steps ``/n`` (``a/n`` runs from ``a`` to the field's end) and
lists, month and weekday names (``jan``, ``mon``; 7 is Sunday too), and the descriptors
``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight`` and
``@hourly``; ``@every`` is not modelled. ``SpecSchedule.Next``: day of month and day of week
are OR-ed unless either is ``*`` or ``?``.

The clock. The model's logical second ``t`` is the instant ``t`` seconds after
1970-01-01T00:00:00Z, as everywhere in kmodel (timestamps in manifests are read that way), so
logical time 0 is Thursday 1 January 1970, 00:00 UTC, and schedules are deterministic. A
``timeZone`` is an IANA name read through :mod:`zoneinfo`; without one schedules are in UTC
(the controller manager's local time zone, which kmodel fixes to UTC).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from kmodel.errors import InputError

__all__ = ["Schedule", "parse_schedule", "to_datetime"]

_UTC: Final = dt.UTC
_MONTHS: Final = {
    name: i + 1
    for i, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS: Final = {name: i for i, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_DESCRIPTORS: Final = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule (``SpecSchedule``): allowed values per field, and its time zone."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    #: The day-of-month or day-of-week field was ``*`` or ``?`` (robfig's star bit).
    dom_star: bool
    dow_star: bool
    zone: str = "UTC"

    def _day_matches(self, day: dt.datetime) -> bool:
        """``dayMatches``: both day fields match if either is ``*``, else either matches."""
        dom = day.day in self.days_of_month
        dow = (day.isoweekday() % 7) in self.days_of_week
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def next(self, after: int) -> int | None:
        """``SpecSchedule.Next``: the first matching minute strictly after ``after``.

        None when nothing matches within five years (robfig's give-up bound).
        """
        zone = zoneinfo.ZoneInfo(self.zone)
        start = dt.datetime.fromtimestamp(after, tz=_UTC).astimezone(zone)
        local = start.replace(second=0, microsecond=0, tzinfo=None) + dt.timedelta(minutes=1)
        limit = local.year + 5
        while local.year <= limit:
            if local.month not in self.months:
                year, month = (
                    (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
                )
                local = dt.datetime(year, month, 1)  # noqa: DTZ001  # a wall-clock time
                continue
            if not self._day_matches(local):
                local = dt.datetime(local.year, local.month, local.day) + dt.timedelta(days=1)  # noqa: DTZ001
                continue
            if local.hour not in self.hours:
                local = local.replace(minute=0) + dt.timedelta(hours=1)
                continue
            if local.minute not in self.minutes:
                local += dt.timedelta(minutes=1)
                continue
            instant = int(local.replace(tzinfo=zone).timestamp())
            if instant > after:
                return instant
            local += dt.timedelta(minutes=1)
        return None


def _field(text: str, low: int, high: int, names: Mapping[str, int], path: str) -> frozenset[int]:
    """``getField``: a comma-separated list of ``*``, ``?``, ``a``, ``a-b``, each ``/step``."""
    values: set[int] = set()
    for part in text.split(","):
        expression, _, step_text = part.partition("/")
        if expression in {"*", "?"}:
            first, last = low, high
        else:
            first_text, dash, last_text = expression.partition("-")
            first = _value(first_text, names, path)
            last = _value(last_text, names, path) if dash else first
            if not dash and step_text:
                last = high  # "a/n" runs from a to the field's end
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise InputError(f"failed to parse int from {step_text}: invalid step", path=path)
            step = int(step_text)
        if first < low:
            raise InputError(
                f"beginning of range ({first}) below minimum ({low}): {part}", path=path
            )
        if last > high:
            raise InputError(f"end of range ({last}) above maximum ({high}): {part}", path=path)
        if first > last:
            raise InputError(
                f"beginning of range ({first}) beyond end of range ({last}): {part}", path=path
            )
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(text: str, names: Mapping[str, int], path: str) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise InputError(f"failed to parse int from {text}", path=path)
    return int(text)


def parse_schedule(text: str, *, zone: str | None = None, path: str = "spec.schedule") -> Schedule:
    """``cron.ParseStandard`` of a schedule, in ``zone`` (an IANA name; None: UTC).

    Raises:
        InputError: a schedule robfig/cron refuses, ``@every`` (not modelled), or an unknown
            time zone (``time.LoadLocation``).
    """
    zone_name = zone or "UTC"
    try:
        zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {zone_name}", path="spec.timeZone") from None
    spec = text.strip()
    if spec.startswith("@every"):
        raise InputError("@every schedules are not modelled", path=path)
    if spec.startswith("@"):
        if spec not in _DESCRIPTORS:
            raise InputError(f"unrecognized descriptor: {spec}", path=path)
        spec = _DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:  # the standard parser's five fields
        raise InputError(f"expected exactly 5 fields, found {len(fields)}: {text}", path=path)
    minute, hour, dom, month, dow = fields
    days_of_week = _field(dow, 0, 7, _DAYS, path)
    if 7 in days_of_week:  # robfig accepts 7 for Sunday
        days_of_week = (days_of_week - {7}) | {0}
    return Schedule(
        minutes=_field(minute, 0, 59, {}, path),
        hours=_field(hour, 0, 23, {}, path),
        days_of_month=_field(dom, 1, 31, {}, path),
        months=_field(month, 1, 12, _MONTHS, path),
        days_of_week=days_of_week,
        dom_star=dom.split("/")[0] in {"*", "?"},
        dow_star=dow.split("/")[0] in {"*", "?"},
        zone=zone_name,
    )


def to_datetime(seconds: int, *, zone: str = "UTC") -> dt.datetime:
    """The instant of a logical second, in ``zone``."""
    return dt.datetime.fromtimestamp(seconds, tz=_UTC).astimezone(zoneinfo.ZoneInfo(zone))
