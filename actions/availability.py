"""The time someone offers in the gift conversation, as structured details staff can filter on.

    >>> extract_availability("Jeg kan hver tirsdag og torsdag efter kl. 16")
    {'text': 'hver tirsdag og torsdag efter kl. 16', 'days': ['tue', 'thu'], 'time_of_day': 'afternoon'}

`text` is the person's own words for the time (their spelling, cut from the message); `days` are
"mon".."sun" in week order; `time_of_day` is "morning", "afternoon", "evening" or None;
`hours_per_week` / `hours_per_month` appear only when the person said how much.
"""
from __future__ import annotations

import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})
_DAY_WORDS = {"mandag": 0, "tirsdag": 1, "onsdag": 2, "torsdag": 3, "fredag": 4, "loerdag": 5,
              "soendag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
              "friday": 4, "saturday": 5, "sunday": 6}
_NUMBERS = {"en": 1, "et": 1, "one": 1, "a": 1, "an": 1, "to": 2, "two": 2, "par": 2,
            "couple": 2, "tre": 3, "three": 3, "few": 3, "fire": 4, "four": 4, "fem": 5,
            "five": 5, "seks": 6, "six": 6, "halv": 0.5, "half": 0.5}

DAY = r"(?:" + "|".join(_DAY_WORDS) + r")(?:en|e|s|ene)?"
# "weekends" must not be read as a day name's plural, hence the word boundaries everywhere.
_WEEKEND = r"\b(?:i\s+)?(?:weekend(?:en|er|erne|s)?|the\s+weekends?)\b"
_WEEKDAYS = r"\b(?:paa\s+)?(?:hverdage(?:ne)?|weekdays?|on\s+weekdays)\b"
_EVERY_DAY = r"\b(?:hver\s+dag|alle\s+dage|dagligt|every\s+day|daily)\b"
_PART_OF_DAY = {
    "morning": r"morgen(?:en|er|erne)?|formiddag(?:en|e|ene)?|morning(?:s)?|before\s+noon|"
               r"foer\s+middag|i\s+formiddags?timerne",
    "afternoon": r"eftermiddag(?:en|e|ene)?|afternoon(?:s)?|middag(?:en)?|lunch(?:time)?|"
                 r"frokost(?:tid)?",
    "evening": r"aften(?:en|er|erne)?|evening(?:s)?|night(?:s)?|efter\s+fyraften|"
               r"efter\s+arbejde(?:t)?|after\s+work|nat(?:ten)?",
}
HOUR = r"(?:kl\.?\s*|klokken\s*)?(\d{1,2})(?:[.:](\d\d))?\s*(am|pm)?"
_AFTER_HOUR = rf"\b(?:efter|fra|from|after)\s+{HOUR}\b"
# "at 3 schools" is not a time: a bare hour counts only with kl./klokken or am/pm.
_CLOCK = r"\b(?:kl\.?|klokken)\s*(\d{1,2})(?:[.:](\d\d))?\b|\b(\d{1,2})(?:[.:](\d\d))?\s*(am|pm)\b"
_AMOUNT = (r"\b(\d+(?:[.,]\d+)?|" + "|".join(_NUMBERS) + r")\s+(?:of\s+)?(?:timer?|hours?)\s*"
           r"(?:om|a|per|pr\.?|i|hver|each|every)\s*(ugen|uge|week|maaneden|maaned|month)\b")

_SPANS = [
    rf"\b(?:hver|every|om|on|paa|alle)?\s*(?:(?:anden|other|second)\s+)?{DAY}"
    rf"(?:\s*(?:,|og|and|eller|or|til|to|-)\s*{DAY})*\b",
    _WEEKEND, _WEEKDAYS, _EVERY_DAY,
    r"\b(?:om\s+|i\s+|in\s+the\s+|on\s+)?(?:" + "|".join(_PART_OF_DAY.values()) + r")\b",
    _AFTER_HOUR, _CLOCK,
    r"\b(?:fra|from)\s+(?:kl\.?\s*)?\d{1,2}(?:[.:]\d\d)?\s*(?:til|to|-)\s*(?:kl\.?\s*)?\d{1,2}"
    r"(?:[.:]\d\d)?\b",
    _AMOUNT,
    r"\b(?:half\s+an|en\s+halv)\s+(?:hour|time)\s*(?:om|a|per|i|hver|each|every)\s*"
    r"(?:ugen|uge|week|maaneden|maaned|month)\b",
    r"\b(?:et\s+par|a\s+few|a\s+couple\s+of|nogle)\s+(?:timer|hours)\b",
    r"\b(?:i\s+)?(?:ferien|sommerferien|skoleferien|the\s+holidays|holidays)\b",
    r"\b(?:hele\s+tiden|anytime|any\s+time|fleksibelt|flexible|when(?:ever)?\s+needed|"
    r"efter\s+behov|naar\s+som\s+helst)\b",
]


def _folded_with_origin(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index it came from in `text`."""
    folded, origin = "", []
    for index, char in enumerate(text):
        piece = char.lower().translate(_FOLD)
        folded += piece
        origin += [index] * len(piece)
    return folded, origin


def _days(folded: str) -> list[str]:
    found: set[int] = set()
    if re.search(_EVERY_DAY, folded):
        found.update(range(7))
    if re.search(_WEEKDAYS, folded):
        found.update(range(5))
    if re.search(_WEEKEND, folded):
        found.update((5, 6))
    for first, last in re.findall(rf"\b({DAY})\s*(?:til|to|-)\s*({DAY})\b", folded):
        start, end = _day_number(first), _day_number(last)
        found.update(range(start, end + 1) if start <= end else [*range(start, 7),
                                                                 *range(end + 1)])
    for word in re.findall(rf"\b{DAY}\b", folded):
        found.add(_day_number(word))
    return [DAYS[d] for d in sorted(found)]


def _day_number(word: str) -> int:
    return next(n for name, n in _DAY_WORDS.items() if word.startswith(name))


def _hour_part(hour: int, meridiem: str | None) -> str | None:
    if meridiem == "pm" and hour < 12:
        hour += 12
    if not 0 <= hour <= 23:
        return None
    return "morning" if 5 <= hour < 12 else "afternoon" if 12 <= hour < 17 else "evening"


def _time_of_day(folded: str) -> str | None:
    """The first part of the day mentioned, by name or by the hour ('efter kl. 16')."""
    candidates: list[tuple[int, str]] = []
    for part, pattern in _PART_OF_DAY.items():
        candidates += [(m.start(), part) for m in re.finditer(rf"\b(?:{pattern})\b", folded)]
    for pattern in (_AFTER_HOUR, _CLOCK):
        for m in re.finditer(pattern, folded):
            groups = [g for g in m.groups() if g is not None]
            part = _hour_part(int(groups[0]), groups[-1] if groups[-1] in ("am", "pm") else None)
            if part:
                candidates.append((m.start(), part))
    return min(candidates)[1] if candidates else None


def _amount(folded: str) -> dict[str, float]:
    half = re.search(r"\b(?:half\s+an|en\s+halv)\s+(?:hour|time)\s*(?:om|a|per|i|hver|each|every)"
                     r"\s*(ugen|uge|week|maaneden|maaned|month)\b", folded)
    if half:
        return {"hours_per_week" if half.group(1).startswith(("uge", "week"))
                else "hours_per_month": 0.5}
    match = re.search(_AMOUNT, folded)
    if not match:
        few = re.search(r"\b(et\s+par|a\s+couple\s+of|a\s+few|nogle)\s+(?:timer|hours)\s*"
                        r"(?:om|a|per|i|hver|each|every)\s*(ugen|uge|week|maaneden|maaned|month)\b",
                        folded)
        if not few:
            return {}
        number, unit = (2 if "par" in few.group(1) or "couple" in few.group(1) else 3), few.group(2)
    else:
        word, unit = match.group(1), match.group(2)
        number = float(word.replace(",", ".")) if word[0].isdigit() else _NUMBERS[word]
    key = "hours_per_week" if unit.startswith(("uge", "week")) else "hours_per_month"
    return {key: float(number)}


def extract_availability(text: str) -> dict | None:
    """Days, part of day and the person's words for the time they offer; None if none given."""
    if not text or text.startswith("/"):
        return None
    folded, origin = _folded_with_origin(text)
    spans = [m.span() for pattern in _SPANS for m in re.finditer(pattern, folded)
             if m.group(0).strip()]
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    words = text[origin[start]:origin[end - 1] + 1].strip(" ,.;:!?")
    details = {"text": words, "days": _days(folded), "time_of_day": _time_of_day(folded)}
    details.update(_amount(folded))
    return details


def availability_text(availability: object) -> str | None:
    """What to show for a stored availability: the person's words (older outcomes: a string)."""
    if isinstance(availability, dict):
        return availability.get("text") or None
    return str(availability) if availability else None
