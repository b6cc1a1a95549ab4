"""Reading the free-text "working hours of the impacted users" that a case records, into the
``hours`` of a business calendar (``{"mon": [["08:00", "18:00"]], ...}``), for the conflict finder.

Pure and forgiving, because the text is a person's: ``Mon-Fri 08:00-18:00``, ``weekdays 8am to
6pm``, ``Mon, Wed 9-12 13:00-17:30; Sat 10:00-14:00``, ``09:00-17:00 Mon-Fri``, ``24x7``,
``Mon-Sun 22:00-06:00`` (an end not after its start crosses midnight, as in every calendar).

Rules
- Day words (names, ranges such as ``mon-fri`` or ``monday to friday``, ``weekdays``, ``weekends``,
  ``daily``/``every day``) collect into a set; the time ranges that follow apply to that set, so
  several ranges after one set are a split shift. A set written after its times (``9-5 Mon-Fri``)
  takes them when no times follow it.
- Times with no day words apply Monday to Friday. Days with no times are not guessed.
- ``24x7``/``24/7``/``round the clock`` is every day all day; ``24h``/``all day`` after days is
  those days all day.
- A bare hour (``9-17``) is read on the 24-hour clock unless ``am``/``pm`` follows it, except that
  two bare hours whose end is before a start of 12 or less are the working day (``9-5``).
- Nothing recognisable gives ``None``: the caller says so instead of inventing hours.
"""

from __future__ import annotations

import re

__all__ = ["DAYS", "parse_working_hours"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORD = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
_GROUP_WORD = {
    "weekdays": range(5), "weekday": range(5), "weekends": range(5, 7), "weekend": range(5, 7),
    "daily": range(7), "every day": range(7), "everyday": range(7), "7 days": range(7), "all week": range(7),
}  # fmt: skip
_DAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
)
_TO = r"\s*(?:-|\u2013|\u2014|to|until|till|through|thru)\s*"  # hyphen, en dash, em dash, words
_TIME = r"(\d{1,2})(?:[:.h](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?"
_ALWAYS = re.compile(r"24\s*[x/\u00d7*]\s*7|round[- ]the[- ]clock|around[- ]the[- ]clock")
_TOKEN = re.compile(
    rf"(?P<dayrange>\b{_DAY}\b{_TO}\b{_DAY}\b)"
    rf"|(?P<group>\b(?:{'|'.join(sorted(_GROUP_WORD, key=len, reverse=True))})\b)"
    rf"|(?P<day>\b{_DAY}\b)"
    r"|(?P<allday>\b(?:24\s*h(?:ours|rs)?|all[- ]day)\b)"
    rf"|(?P<range>(?<![\d:]){_TIME}{_TO}{_TIME}(?![\d:]))"
)
Period = tuple[str, str]


def _day_index(word: str) -> int:
    return _DAY_WORD[word] if word in _DAY_WORD else _DAY_WORD[word[:3]]


def _hhmm(hour: str, minute: str | None, half: str | None, *, is_end: bool) -> str | None:
    h, m = int(hour), int(minute or 0)
    if half:
        if not 1 <= h <= 12:
            return None
        h = (h % 12) + (12 if half.startswith("p") else 0)
    if m > 59 or h > 24 or (h == 24 and (m or not is_end)):
        return None
    return f"{h:02d}:{m:02d}"


def _days_of(match: re.Match[str]) -> set[int]:
    if match["dayrange"]:
        first, last = re.split(_TO, match["dayrange"], maxsplit=1)
        a, b = _day_index(first.strip()), _day_index(last.strip())
        return {(a + i) % 7 for i in range((b - a) % 7 + 1)}
    if match["group"]:
        return set(_GROUP_WORD[re.sub(r"\s+", " ", match["group"])])
    return {_day_index(match["day"])}


def _period(match: re.Match[str]) -> Period | None:
    if match["allday"]:
        return ("00:00", "24:00")
    h1, m1, p1, h2, m2, p2 = match.groups()[-6:]
    if not (m1 or m2 or p1 or p2) and int(h2) < int(h1) <= 12:
        p1, p2 = ("pm" if int(h1) == 12 else "am"), "pm"  # "9-5" is nine to five
    # "9-5pm": the half-day marker of the end applies to a start that has none, when it fits.
    start = _hhmm(h1, m1, p1 or (p2 if p2 and int(h1) <= 12 and int(h1) < int(h2) else None), is_end=False)
    end = _hhmm(h2, m2, p2, is_end=True)
    if start is None or end is None or start == end:
        return None
    return (start, "24:00" if end == "00:00" else end)


def parse_working_hours(text: str) -> dict[str, list[list[str]]] | None:
    """The calendar ``hours`` that ``text`` describes, or None if it names none."""
    lowered = text.lower()
    if _ALWAYS.search(lowered):
        return {day: [["00:00", "24:00"]] for day in DAYS}
    groups: list[tuple[set[int], list[Period]]] = []
    days: set[int] = set()
    periods: list[Period] = []
    for match in _TOKEN.finditer(lowered):
        if match["range"] is None and match["allday"] is None:
            if periods:
                groups.append((days, periods))
                days, periods = set(), []
            days |= _days_of(match)
            continue
        period = _period(match)
        if period is not None:
            periods.append(period)
    groups.append((days, periods))
    hours: dict[int, list[Period]] = {}
    index = 0
    while index < len(groups):
        days, periods = groups[index]
        if periods and not days:
            following = groups[index + 1] if index + 1 < len(groups) else None
            if following is not None and following[0] and not following[1]:
                days = following[0]
                index += 1
            else:
                days = set(range(5))
        for day in sorted(days):
            for period in periods:
                if period not in hours.setdefault(day, []):
                    hours[day].append(period)
        index += 1
    found = {DAYS[day]: [list(p) for p in spans] for day, spans in sorted(hours.items()) if spans}
    return found or None
