"""The date a promise is due, read from Danish or English as people write it.

A date is returned only when the text contains a date expression: "jeg er sygeplejerske",
"when I can" and "I may help" give None. Every rule is relative to `today` and returns a date on
or after it (an explicit past date with a year is returned as written; the caller refuses it).
Danish holidays come from the `holidays` package, so Easter, Ascension and Whitsun fall on the
right day in any year. Æ, ø and å may be typed as ae, oe, aa: the text is folded first.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache

import holidays

Rule = Callable[[re.Match, dt.date], "dt.date | None"]
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})

_WEEKDAYS = {"mandag": 0, "tirsdag": 1, "onsdag": 2, "torsdag": 3, "fredag": 4, "loerdag": 5,
             "soendag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
             "friday": 4, "saturday": 5, "sunday": 6}
_MONTHS = {"januar": 1, "january": 1, "jan": 1, "februar": 2, "february": 2, "feb": 2,
           "marts": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "maj": 5, "may": 5,
           "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "august": 8, "aug": 8,
           "september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10, "okt": 10,
           "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
_NUMBERS = {"en": 1, "et": 1, "een": 1, "a": 1, "an": 1, "one": 1, "to": 2, "two": 2, "par": 2,
            "couple": 2, "tre": 3, "three": 3, "few": 3, "nogle": 3, "fire": 4, "four": 4,
            "fem": 5, "five": 5, "seks": 6, "six": 6, "syv": 7, "seven": 7, "otte": 8,
            "eight": 8, "ni": 9, "nine": 9, "ti": 10, "ten": 10, "fjorten": 14,
            "fourteen": 14, "halvt": 0.5, "half": 0.5}
_ORDINALS = {"foerste": 1, "first": 1, "1st": 1, "anden": 2, "andet": 2, "second": 2, "2nd": 2,
             "tredje": 3, "third": 3, "3rd": 3, "fjerde": 4, "fourth": 4, "4th": 4,
             "sidste": -1, "last": -1}

# English month names that are also verbs, or "jul" (Christmas): after a folded "i" (Danish "in"
# or English "I") they are not a month.
_NOT_AFTER_I = {"jul", "may", "mar", "march", "january", "february", "june", "july", "october",
                "oct"}

WEEKDAY = "(" + "|".join(_WEEKDAYS) + r")(?:en|e|s)?"
ANY_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
NUMBER = r"(\d+|" + "|".join(_NUMBERS) + ")"
ORDINAL = "(" + "|".join(_ORDINALS) + ")"
UNIT = r"(dage?|dagen|days?|uger?|ugen|weeks?|fortnights?|maaned(?:er|en)?|months?|aar|years?)"
NEXT_WEEK = r"(?:i\s+)?(?:naeste\s+uge|ugen\s+efter|next\s+week|the\s+week\s+after)"
MONTH_WORD = r"(?:maaned(?:en|ens)?|month)"


def fold(text: str) -> str:
    return " ".join(text.lower().translate(_FOLD).split())


def _number(word: str) -> float:
    return float(word) if word.isdigit() else _NUMBERS[word]


def _next_weekday(today: dt.date, weekday: int, *, allow_today: bool = False) -> dt.date:
    ahead = (weekday - today.weekday()) % 7
    return today + dt.timedelta(days=ahead if (ahead or allow_today) else 7)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _upcoming(today: dt.date, make: Callable[[int], dt.date | None]) -> dt.date | None:
    """The first of this year's and next year's dates that is not in the past."""
    for year in (today.year, today.year + 1):
        day = make(year)
        if day is not None and day >= today:
            return day
    return None


def _day_month(day: int, month: int, year: str | None, today: dt.date) -> dt.date | None:
    def make(y: int) -> dt.date | None:
        try:
            return dt.date(y, month, day)
        except ValueError:
            return None
    if year:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return make(full)
    return _upcoming(today, make)


# --- Danish holidays ------------------------------------------------------------------------

@lru_cache(maxsize=16)
def _danish_holidays(year: int) -> dict[str, dt.date]:
    found = holidays.country_holidays("DK", years=year, categories=("public", "optional"),
                                      language="en_US")
    return {name: day for day, name in found.items()}


def _holiday(name: str) -> Callable[[int], dt.date]:
    return lambda year: _danish_holidays(year)[name]


def _first_working_day_after(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or day in holidays.country_holidays("DK", years=day.year):
        day += dt.timedelta(days=1)
    return day


def _iso_week_day(year: int, week: int, weekday: int) -> dt.date:
    return dt.date.fromisocalendar(year, week, weekday + 1)


# Each holiday: (the day it is "at" or "by", the first day "after" it). Christmas in Denmark is
# Christmas Eve; Easter and Whitsun "begin" with their first holiday.
_HOLIDAYS: dict[str, tuple[Callable[[int], dt.date], Callable[[int], dt.date]]] = {
    "christmas": (_holiday("Christmas Eve"),
                  lambda y: _holiday("Second Day of Christmas")(y) + dt.timedelta(days=1)),
    "new_year": (_holiday("New Year's Eve"),
                 # "efter nytår" is early January of the coming year: its first working day.
                 lambda y: _first_working_day_after(_holiday("New Year's Day")(y + 1))),
    "easter": (_holiday("Maundy Thursday"),
               lambda y: _holiday("Easter Monday")(y) + dt.timedelta(days=1)),
    "whitsun": (_holiday("Pentecost"),
                lambda y: _holiday("Pentecost Monday")(y) + dt.timedelta(days=1)),
    "ascension": (_holiday("Ascension Day"),
                  lambda y: _holiday("Ascension Day")(y) + dt.timedelta(days=1)),
    # Danish school summer holidays are weeks 27-32: they begin after the last school day, the
    # Friday of week 26, and schools start again on the Monday of week 33 (11 August 2025,
    # 10 August 2026). "Over/efter sommerferien" (after the summer holidays) is that Monday, when
    # people are back; "inden sommerferien" the Friday of week 26; "i sommerferien" the first
    # Monday of the holidays (week 27).
    "summer_holidays": (lambda y: _iso_week_day(y, 26, 4), lambda y: _iso_week_day(y, 33, 0)),
    "during_summer_holidays": (lambda y: _iso_week_day(y, 27, 0),
                               lambda y: _iso_week_day(y, 33, 0)),
}
_HOLIDAY_WORDS = [
    (r"juleaften|christmas\s+eve|jul(?:en)?|christmas|xmas|juletid", "christmas"),
    (r"nytaarsaften|new\s+year'?s\s+eve|nytaar|new\s+year'?s?", "new_year"),
    (r"paaskeferien|paasken?|easter(?:\s+holidays?)?", "easter"),
    (r"pinsen?|whitsun|pentecost", "whitsun"),
    (r"kristi\s+himmelfarts?(?:dag)?|store\s+bededag|ascension(?:\s+day)?", "ascension"),
    (r"sommerferien?|the\s+summer\s+holidays?|summer\s+holidays?|the\s+summer\s+break",
     "summer_holidays"),
]


def _holiday_rule(when: str) -> list[tuple[str, Rule]]:
    rules = []
    for words, key in _HOLIDAY_WORDS:
        at, after = _HOLIDAYS[key]
        if when == "after":
            pattern = rf"\b(?:efter|over|after)\s+(?:the\s+)?(?:{words})\b"
            rules.append((pattern, lambda m, t, after=after: _upcoming(t, after)))
        elif when == "during" and key == "summer_holidays":
            during_at = _HOLIDAYS["during_summer_holidays"][0]
            pattern = rf"\b(?:i|in|during|in\s+the)\s+(?:{words})\b"
            rules.append((pattern, lambda m, t, at=during_at: _upcoming(t, at)))
        elif when == "at":
            pattern = rf"\b(?:{words})\b"
            rules.append((pattern, lambda m, t, at=at: _upcoming(t, at)))
    return rules


# --- the rules, most specific first -----------------------------------------------------------

def _nth_weekday_of_month(m: re.Match, today: dt.date) -> dt.date | None:
    nth, weekday = _ORDINALS[m.group(1)], _WEEKDAYS[m.group(2)]
    where = m.group(3)
    if where in _MONTHS:
        months = [(today.year, _MONTHS[where]), (today.year + 1, _MONTHS[where])]
    else:  # this month / next month
        start = today.replace(day=1)
        if re.search(r"naeste|next", where):
            start = _add_months(start, 1)
        months = [(start.year, start.month), (_add_months(start, 1).year,
                                              _add_months(start, 1).month)]
    for year, month in months:
        days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1)
                if dt.date(year, month, d).weekday() == weekday]
        if abs(nth) <= len(days):
            day = dt.date(year, month, days[nth - 1 if nth > 0 else nth])
            if day >= today:
                return day
    return None


def _weekday_next_week(m: re.Match, today: dt.date) -> dt.date:
    weekday = next(_WEEKDAYS[g] for g in m.groups() if g in _WEEKDAYS)
    return _monday(today) + dt.timedelta(days=7 + weekday)


def _relative(m: re.Match, today: dt.date) -> dt.date | None:
    count, unit = _number(m.group(1)), m.group(2)
    if unit.startswith(("dag", "day")):
        return today + dt.timedelta(days=round(count))
    if unit.startswith(("uge", "week")):
        return today + dt.timedelta(days=round(7 * count))
    if unit.startswith("fortnight"):
        return today + dt.timedelta(days=round(14 * count))
    if unit.startswith(("maaned", "month")):
        return _add_months(today, round(count)) if count >= 1 else today + dt.timedelta(days=15)
    return _add_months(today, round(12 * count))


def _month_part(m: re.Match, today: dt.date) -> dt.date | None:
    part, which = m.group(1), m.group(2)
    if part in ("i", "til") and which in _NOT_AFTER_I:
        return None  # "I may help", "I march" (folded to "i may") are verbs; "til jul" is Christmas
    if part in ("i", "in", "by", "til", "inden", "before") and re.fullmatch(
            rf"(?:the\s+)?{MONTH_WORD}", which):
        return None  # "2 timer i måneden", "in the month of May": per month, or no date yet
    if which in _MONTHS:
        first = _upcoming(today, lambda y: _last_day(y, _MONTHS[which]))
        if first is None:
            return None
        first = first.replace(day=1)
    else:
        first = today.replace(day=1)
        if re.search(r"naeste|next", which):
            first = _add_months(first, 1)
    if re.search(r"slut|sidst|end|udgang|out|inden\s+for|within|late", part):
        day = _last_day(first.year, first.month)
    elif re.search(r"midt|mid", part):
        day = first.replace(day=15)
    elif re.search(r"inden|before", part):
        day = first - dt.timedelta(days=1)
    else:  # start, early, in
        day = first
    return max(day, today)


def _season(m: re.Match, today: dt.date) -> dt.date | None:
    word = m.group(1)
    start_month = 3 if word.startswith(("foraar", "spring")) else \
        6 if word.startswith(("sommer", "summer")) else \
        9 if word.startswith(("efteraar", "autumn", "fall")) else 12
    start = dt.date(today.year, start_month, 1)
    end = _last_day(_add_months(start, 2).year, _add_months(start, 2).month)
    if start <= today <= end:
        return end  # "til foråret" said in April: by the end of this spring
    if today > end:
        start = start.replace(year=start.year + 1)
    return start if start >= today else _add_months(start, 12)


def _numeric_date(m: re.Match, today: dt.date) -> dt.date | None:
    day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
    if not (1 <= month <= 12) or re.search(r"(?:kl\.?|klokken|at)\s*$", m.string[:m.start()]):
        return None  # "kl. 10.11" is a time, not 10 November
    return _day_month(day, month, year, today)


def _day_of_month(m: re.Match, today: dt.date) -> dt.date | None:
    """'den 15.': the next 15th of a month, this one or the next."""
    day, first = int(m.group(1)), today.replace(day=1)
    for ahead in range(3):
        month = _add_months(first, ahead)
        if day <= calendar.monthrange(month.year, month.month)[1] and month.replace(day=day) >= today:
            return month.replace(day=day)
    return None


RULES: list[tuple[str, Rule]] = [
    # the first Monday in March, den sidste fredag i måneden, the second Tuesday of next month
    (rf"\b(?:den\s+|the\s+)?{ORDINAL}\s+{WEEKDAY}\s+(?:i|in|of)\s+"
     rf"({ANY_MONTH[1:-1]}|(?:denne|naeste|this|next)\s+{MONTH_WORD}|{MONTH_WORD}(?:en)?)\b",
     _nth_weekday_of_month),
    # fredag i næste uge, Friday next week, næste uge fredag, næste uges fredag
    (rf"\b{WEEKDAY}\s+(?:i\s+|of\s+)?{NEXT_WEEK}\b", _weekday_next_week),
    (rf"\b{NEXT_WEEK}\s+(?:paa\s+|on\s+)?{WEEKDAY}\b", _weekday_next_week),
    (rf"\bnaeste\s+uges\s+{WEEKDAY}\b", _weekday_next_week),
    # fredag om en uge, a week on Friday
    (rf"\b{WEEKDAY}\s+om\s+(?:en|1)\s+uge\b|\ba\s+week\s+on\s+{WEEKDAY}\b",
     lambda m, t: _next_weekday(t, _WEEKDAYS[m.group(1) or m.group(2)]) + dt.timedelta(days=7)),
    # 2027-03-03
    (r"\b(20\d\d)-(\d\d?)-(\d\d?)\b",
     lambda m, t: _day_month(int(m.group(3)), int(m.group(2)), m.group(1), t)),
    # 3/4, 3/4-2027, 03.04.2027, 3.4.
    (r"(?<![\d/.])(\d{1,2})\s*[/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{4}|\d\d)(?!\d))?(?![\d/]|\.\d)"
     r"(?!\s*(?:timer?|hours?|dag|day|del|part))",
     _numeric_date),
    # den 3. marts, 3 march 2027, 3rd of March
    (rf"\b(\d{{1,2}})\.?(?:st|nd|rd|th)?\s+(?:of\s+)?{ANY_MONTH}\b\.?(?:\s+(\d{{4}}))?",
     lambda m, t: _day_month(int(m.group(1)), _MONTHS[m.group(2)], m.group(3), t)),
    # March 3, March 3rd 2027, marts den 3.
    (rf"\b{ANY_MONTH}\s+(?:den\s+|the\s+)?(\d{{1,2}})(?:st|nd|rd|th|\.)?(?:,?\s+(\d{{4}}))?\b",
     lambda m, t: _day_month(int(m.group(2)), _MONTHS[m.group(1)], m.group(3), t)),
    # holidays: after / during / at (and "inden/before/til/by" them: the day they begin)
    *_holiday_rule("after"), *_holiday_rule("during"), *_holiday_rule("at"),
    # i slutningen af måneden, sidst på måneden, before the month is out, end of March
    (r"\b(?:(?:inden|foer)\s+)?maanedens\s+udgang|\b(?:i\s+)?denne\s+maaned\b|\bthis\s+month\b",
     lambda m, t: _last_day(t.year, t.month)),
    (r"\bbefore\s+the\s+month\s+is\s+(?:out|over)\b|\bthe\s+month\s+is\s+out\b",
     lambda m, t: _last_day(t.year, t.month)),
    (r"\b(i\s+slutningen\s+af|slutningen\s+af|sidst\s+(?:paa|i)|(?:inden|foer)\s+udgangen\s+af|"
     r"ved\s+udgangen\s+af|udgangen\s+af|(?:by\s+|at\s+|before\s+)?the\s+end\s+of|end\s+of|"
     r"late\s+in|i\s+starten\s+af|starten\s+af|i\s+begyndelsen\s+af|begyndelsen\s+af|"
     r"foerst\s+(?:paa|i)|(?:at\s+)?the\s+(?:start|beginning)\s+of|early|"
     r"midt\s+(?:paa|i)|(?:in\s+)?the\s+middle\s+of|mid|inden|before|i|in|by|til)[\s-]+"
     rf"((?:denne\s+|naeste\s+|this\s+|next\s+|the\s+)?{MONTH_WORD}|{ANY_MONTH[1:-1]})\b",
     _month_part),
    (rf"\b(?:naeste|next)\s+{MONTH_WORD}\b", lambda m, t: _add_months(t.replace(day=1), 1)),
    # om tre dage, in two weeks, inden for 14 dage, within a fortnight, et par uger fra nu
    (rf"\b(?:om|in|inden\s+for|within|indenfor)\s+(?:de\s+naeste\s+|the\s+next\s+|a\s+|an\s+|et\s+|"
     rf"en\s+)?(?:couple\s+of\s+|few\s+)?{NUMBER}\s+(?:of\s+)?{UNIT}\b", _relative),
    (r"\b(?:om|in|within)\s+(?:a|an|en|et)\s+(fortnight|halvt?\s+aar|half\s+a?\s*year)\b",
     lambda m, t: t + dt.timedelta(days=14) if m.group(1) == "fortnight" else _add_months(t, 6)),
    (rf"\b{NUMBER}\s+{UNIT}\s+(?:fra\s+nu|from\s+now|from\s+today|herfra)\b", _relative),
    # i dag, i morgen, i overmorgen, today, tomorrow
    (r"\b(?:i\s+overmorgen|overmorgen|the\s+day\s+after\s+tomorrow)\b",
     lambda m, t: t + dt.timedelta(days=2)),
    (r"\b(?:i\s+morgen|imorgen|tomorrow|tmrw)\b", lambda m, t: t + dt.timedelta(days=1)),
    (r"\b(?:i\s+dag|idag|today|tonight|i\s+aften)\b", lambda m, t: t),
    # weeks and weekends
    (r"\b(?:naeste|next)\s+weekend\b",
     lambda m, t: _monday(t) + dt.timedelta(days=12)),
    (r"\b(?:i\s+weekenden|weekenden|this\s+weekend|at\s+the\s+weekend|over\s+the\s+weekend|"
     r"on\s+the\s+weekend|(?:til|i|in|by|the)\s+weekend|weekend)\b",
     lambda m, t: _next_weekday(t, 5, allow_today=True) if t.weekday() != 6 else t),
    (NEXT_WEEK, lambda m, t: _monday(t) + dt.timedelta(days=7)),
    (r"\b(?:i\s+denne\s+uge|denne\s+uge|i\s+loebet\s+af\s+ugen|this\s+week|"
     r"(?:i\s+)?slutningen\s+af\s+ugen|"
     r"(?:by\s+)?the\s+end\s+of\s+the\s+week|sidst\s+paa\s+ugen|inden\s+weekenden)\b",
     lambda m, t: max(_monday(t) + dt.timedelta(days=4), t)),
    (r"\b(?:i\s+aar|i\s+loebet\s+af\s+aaret|inden\s+aarets\s+udgang|this\s+year|"
     r"(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the|this)\s+year|(?:before\s+)?the\s+year\s+is\s+out)\b",
     lambda m, t: dt.date(t.year, 12, 31)),
    (r"\b(?:naeste|next)\s+(aar|year)\b|\b(?:til|inden)\s+(?:naeste\s+)?aar\b",
     lambda m, t: dt.date(t.year + 1, 1, 1)),
    # til foråret, in the spring, i efteråret, this winter
    (r"\b(?:til|i|in|by|this|next|om|inden)\s+(?:the\s+)?(foraaret|foraar|spring|sommeren|sommer|"
     r"summer|efteraaret|efteraar|autumn|fall|vinteren|vinter|winter)\b", _season),
    # på tirsdag, by Friday, fredag
    (rf"\b{WEEKDAY}\b", lambda m, t: _next_weekday(t, _WEEKDAYS[m.group(1)])),
    # den 15., the 15th
    (r"\b(?:den|the)\s+(\d{1,2})(?:\.|st\b|nd\b|rd\b|th\b)", _day_of_month),
]
_COMPILED = [(re.compile(pattern), rule) for pattern, rule in RULES]


def parse_due_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """The date in the text ('på tirsdag', 'fredag i næste uge', 'after Easter'), or None."""
    today = today or dt.date.today()
    folded = fold(text or "")
    if not folded:
        return None
    for pattern, rule in _COMPILED:
        for match in pattern.finditer(folded):
            day = rule(match, today)
            if day is not None:
                return day
    return None
