"""The cron dialect of Kubernetes CronJobs (robfig/cron's standard parser), checked field by field.

General-purpose cron libraries accept more (seconds, `L`, `W`, `#`) than the CronJob controller does, so a
schedule they accept can still be rejected by the API server: this checks exactly what Kubernetes accepts.
"""

from __future__ import annotations

MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
DAYS = {name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (name, lowest, highest, names)
FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)


def _number(text: str, names: dict[str, int]) -> int | None:
    if text.isdigit():
        return int(text)
    return names.get(text.lower())


def _field_problem(text: str, name: str, low: int, high: int, names: dict[str, int]) -> str | None:
    for part in text.split(","):
        span, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return f"{name} step {step!r} must be a positive number"
        if span in ("*", "?"):
            if span == "?" and name not in ("day of month", "day of week"):
                return f"'?' is only allowed for the day of month or day of week (got it for the {name})"
            continue
        first, dash, last = span.partition("-")
        bounds = [_number(first, names)] + ([_number(last, names)] if dash else [])
        if any(value is None for value in bounds):
            return f"{name} {span!r} is not a number{' or name' if names else ''}"
        if any(not low <= value <= high for value in bounds):  # type: ignore[operator]
            return f"{name} {span!r} is out of range {low}-{high}"
        if dash and bounds[0] > bounds[1]:  # type: ignore[operator]
            return f"{name} range {span!r} runs backwards"
    return None


def cron_problem(schedule: str) -> str | None:
    """Why Kubernetes would reject `schedule`, or None when it is a valid CronJob schedule."""
    text = schedule.strip()
    if text.upper().startswith(("TZ=", "CRON_TZ=")):
        return "must not set a time zone inside the schedule; use time_zone"
    if text.startswith("@"):
        return None if text in MACROS else f"unknown macro {text!r} (one of {', '.join(sorted(MACROS))})"
    parts = text.split()
    if len(parts) != 5:
        return "must be a 5-field cron expression: minute hour day-of-month month day-of-week"
    for part, (name, low, high, names) in zip(parts, FIELDS, strict=True):
        problem = _field_problem(part, name, low, high, names)
        if problem:
            return problem
    return None
