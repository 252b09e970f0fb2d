"""Pure text parsing for the conversations: choices, dates, skills, availability, language.

No I/O and no Rasa here, so every rule is unit-tested with plain strings.
Danish is often typed without æøå (ae/oe/aa), so every lexicon is matched on a folded form.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

import dateparser
from dateparser.search import search_dates

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})


def fold(text: str) -> str:
    """Lower-case and spell æøå the way people without a Danish keyboard do."""
    return text.lower().translate(_FOLD)


def words(text: str) -> list[str]:
    return re.findall(r"[\wæøåÆØÅ'-]+", text.lower())


def _has_any(text: str, phrases: Iterable[str]) -> bool:
    folded = f" {' '.join(words(fold(text)))} "
    return any(f" {phrase} " in folded for phrase in phrases)


# --- yes / no ---------------------------------------------------------------------------------

_YES = ["ja", "jo", "ok", "okay", "oki", "gerne", "ja tak", "jep", "jeps", "yes", "yeah", "yep",
        "sure", "of course", "selvfoelgelig", "klart", "fint", "det er fint", "i orden", "accept"]
_NO = ["nej", "nej tak", "no", "nope", "no thanks", "hellere ikke", "ikke", "rather not", "nah",
       "ellers tak", "nix"]


def parse_yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None when the answer is neither (or both)."""
    yes, no = _has_any(text, _YES), _has_any(text, _NO)
    if yes == no:
        return None
    return yes


_NONE_ANSWERS = ["ingen", "intet", "nej", "nope", "none", "nothing", "no", "ikke noget",
                 "ingenting", "nej ingen", "not really", "ikke rigtig", "nej ikke rigtig"]


def is_none_answer(text: str) -> bool:
    """'Nothing' / 'ingen' — a valid answer to the dissent question, recorded as such."""
    return " ".join(words(fold(text))) in _NONE_ANSWERS


_DONT_KNOW = ["ved ikke", "ved det ikke", "det ved jeg ikke", "aner det ikke", "ved ikke endnu",
              "don't know", "dont know", "not sure", "no idea", "i don't know", "i dont know",
              "maaske", "maybe", "maybe later", "senere", "later", "ingen dato", "no date"]


def is_dont_know(text: str) -> bool:
    return _has_any(text, _DONT_KNOW)


# --- closed choices (the values behind the buttons) -------------------------------------------

def parse_role(text: str) -> str | None:
    if _has_any(text, ["medarbejder", "ansat", "employee", "staff", "arbejder i kommunen",
                       "work for the municipality", "work at the municipality", "kollega",
                       "laerer", "paedagog", "sygeplejerske", "socialraadgiver", "leder"]):
        return "employee"
    if _has_any(text, ["borger", "citizen", "resident", "beboer", "indbygger", "privat",
                       "privatperson", "bor i kommunen", "live here", "i live"]):
        return "citizen"
    return None


def parse_invitation_answer(text: str) -> str | None:
    if is_dont_know(text) or _has_any(text, ["usikker", "undecided", "haven't decided",
                                             "tja", "maybe", "maaske"]):
        return "undecided"
    answer = parse_yes_no(text)
    if answer is None:
        return None
    return "accepted" if answer else "declined"


_ORDINALS = {"1": 1, "en": 1, "et": 1, "one": 1, "foerste": 1, "first": 1,
             "2": 2, "to": 2, "two": 2, "anden": 2, "second": 2,
             "3": 3, "tre": 3, "three": 3, "tredje": 3, "third": 3,
             "4": 4, "fire": 4, "four": 4, "fjerde": 4, "fourth": 4}


def parse_step(text: str, top: int) -> int | None:
    """A ladder step 1..top from a button value or from '3', 'trin tre', 'the second'.

    Number words only count in short answers: "en" and "to" are also Danish articles and verbs.
    """
    tokens = words(fold(text))
    for word in tokens:
        step = _ORDINALS.get(word) if (word.isdigit() or len(tokens) <= 3) else None
        if step and step <= top:
            return step
    return None


# --- dates --------------------------------------------------------------------------------------

_WEEKDAYS = {"mandag": 0, "tirsdag": 1, "onsdag": 2, "torsdag": 3, "fredag": 4, "loerdag": 5,
             "soendag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
             "friday": 4, "saturday": 5, "sunday": 6}
_NUMBERS = {"en": 1, "et": 1, "a": 1, "one": 1, "to": 2, "two": 2, "tre": 3, "three": 3,
            "fire": 4, "four": 4, "fem": 5, "five": 5, "seks": 6, "six": 6}
_UNITS_DAYS = {"dag": 1, "dage": 1, "day": 1, "days": 1, "uge": 7, "uger": 7, "week": 7,
               "weeks": 7, "maaned": 30, "maaneder": 30, "month": 30, "months": 30}


def _next_weekday(today: dt.date, weekday: int) -> dt.date:
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=ahead)


def _yearly(today: dt.date, month: int, day: int) -> dt.date:
    this_year = dt.date(today.year, month, day)
    return this_year if this_year >= today else dt.date(today.year + 1, month, day)


def _named_date(folded: str, today: dt.date) -> dt.date | None:
    """Dates that dateparser gets wrong or misses in Danish ('inden jul' is not July)."""
    padded = f" {folded} "
    if any(f" {w} " in padded for w in ("jul", "juleaften", "christmas", "xmas", "julen")):
        return _yearly(today, 12, 24)
    if any(f" {w} " in padded for w in ("nytaar", "nytaarsaften", "new year", "new year's")):
        return _yearly(today, 12, 31)
    if any(f" {w} " in padded for w in ("sommerferien", "sommerferie", "summer holidays",
                                        "summer holiday", "sommer", "summer")):
        return _yearly(today, 6, 30)
    if any(f" {w} " in padded for w in ("foraaret", "spring", "foraar")):
        return _yearly(today, 3, 31)
    if any(f" {w} " in padded for w in ("weekenden", "weekend", "the weekend")):
        return _next_weekday(today, 5) if today.weekday() != 5 else today
    if any(f" {w} " in padded for w in ("i dag", "today", "idag")):
        return today
    if any(f" {w} " in padded for w in ("i morgen", "tomorrow", "imorgen")):
        return today + dt.timedelta(days=1)
    match = re.search(r"\b(?:om|in)\s+(\d+|\w+)\s+(\w+)", folded)
    if match and match.group(2) in _UNITS_DAYS:
        count = int(match.group(1)) if match.group(1).isdigit() else _NUMBERS.get(match.group(1))
        if count:
            return today + dt.timedelta(days=count * _UNITS_DAYS[match.group(2)])
    for name, weekday in _WEEKDAYS.items():
        if f" {name} " in padded:
            return _next_weekday(today, weekday)
    return None


def parse_due_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """The date a promise is due, from Danish or English ('på tirsdag', 'næste uge', 'by Friday').

    Returns None when the text holds no date; the caller decides how kindly to ask again.
    """
    today = today or dt.date.today()
    folded = " ".join(words(fold(text)))
    named = _named_date(folded, today)
    if named:
        return named
    settings = {"PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": dt.datetime.combine(today, dt.time()),
                "REQUIRE_PARTS": []}
    parsed = dateparser.parse(text, languages=["da", "en"], settings=settings)
    if parsed is None:
        found = search_dates(text, languages=["da", "en"], settings=settings) or []
        # A lone English "may" is a verb far more often than a month.
        found = [(span, when) for span, when in found
                 if span.strip().lower() not in {"may", "maj", "march", "marts"}]
        parsed = found[0][1] if found else None
    if parsed is None:
        return None
    return parsed.date()


# --- gifts: skills and availability --------------------------------------------------------------

# Folded keyword -> skill label staff can filter on. Kept short and concrete on purpose.
_SKILLS = {
    "lektie": "homework help", "homework": "homework help", "tutor": "homework help",
    "undervis": "teaching", "teach": "teaching", "laerer": "teaching",
    "regnskab": "bookkeeping", "bogfoering": "bookkeeping", "accounting": "bookkeeping",
    "bookkeeping": "bookkeeping", "revisor": "bookkeeping", "oekonomi": "finance",
    "budget": "finance", "economist": "finance",
    "lave mad": "cooking", "madlavning": "cooking", "kok": "cooking", "cook": "cooking",
    "bage": "baking", "bake": "baking", "kage": "baking",
    "musik": "music", "music": "music", "guitar": "music", "klaver": "music", "piano": "music",
    "synge": "music", "sing": "music", "kor": "music",
    "cykel": "repairs", "cykler": "repairs", "bike": "repairs", "reparer": "repairs",
    "repair": "repairs", "fix": "repairs", "haandvaerk": "repairs", "toemrer": "repairs",
    "have": "gardening", "garden": "gardening", "plante": "gardening", "gartner": "gardening",
    "computer": "IT", "it": "IT", "edb": "IT", "digital": "IT", "programm": "IT",
    "tolk": "interpreting", "interpret": "interpreting", "oversaet": "interpreting",
    "translat": "interpreting", "arabisk": "interpreting", "arabic": "interpreting",
    "koere": "driving", "bil": "driving", "drive": "driving", "car": "driving",
    "sport": "sports", "fodbold": "sports", "football": "sports", "traener": "sports",
    "coach": "sports", "idraet": "sports", "loeb": "sports",
    "mentor": "mentoring", "lytte": "listening", "listen": "listening",
    "besoeg": "visiting", "visit": "visiting", "aeldre": "elderly care",
    "elderly": "elderly care", "boern": "children", "children": "children", "kids": "children",
    "unge": "young people", "young": "young people", "youth": "young people",
    "sygeplej": "health", "nurse": "health", "sundhed": "health", "health": "health",
    "juri": "legal", "legal": "legal", "advokat": "legal", "lawyer": "legal",
    "kunst": "arts", "tegne": "arts", "male": "arts", "art": "arts", "paint": "arts",
    "foto": "photography", "photo": "photography", "skriv": "writing", "writ": "writing",
    "organis": "organising", "arrangere": "organising", "planlaeg": "organising",
    "organi": "organising", "event": "organising",
}


# Keywords that are everyday words in the other language: Danish "have" (garden) is English
# "have", Danish "male" (paint) is English "male"; Danish "drive" means running a club.
_FALSE_FRIENDS = {"en": {"have", "male", "it"}, "da": {"art", "drive", "listen"}}


def extract_skills(text: str, language: str = "da") -> list[str]:
    """Skill labels mentioned in a gift answer, in the order first mentioned, without repeats."""
    folded = fold(text)
    tokens = words(folded)
    found: list[tuple[int, str]] = []
    false_friends = _FALSE_FRIENDS.get(language, set())
    for key, label in _SKILLS.items():
        if key in false_friends:
            continue
        if " " in key:
            position = folded.find(key)
        else:
            position = next((folded.find(t) for t in tokens
                             if t.startswith(key) and (len(key) > 3 or t == key)), -1)
        if position >= 0:
            found.append((position, label))
    ordered: list[str] = []
    for _, label in sorted(found):
        if label not in ordered:
            ordered.append(label)
    return ordered


_AVAILABILITY = [
    r"\b(?:hver|every|om|on)\s+(?:mandag|tirsdag|onsdag|torsdag|fredag|loerdag|soendag"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:e|en|s)?\b",
    r"\b(?:mandag|tirsdag|onsdag|torsdag|fredag|loerdag|soendag)e\b",
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s\b",
    r"\b(?:i\s+)?weekend(?:en|er|s)?\b",
    r"\b(?:om\s+)?(?:aften(?:en|er)?|eftermiddag(?:en|e)?|formiddag(?:en|e)?|morgenen"
    r"|evenings?|afternoons?|mornings?)\b",
    r"\b(?:hverdage|weekdays)\b",
    r"\b\d+\s*(?:timer?|hours?)\s*(?:om|a|per|pr\.?|i)\s*(?:ugen|week|maaneden|month)\b",
    r"\b(?:en|et|to|tre|one|two|three|a few|et par)\s+(?:timer?|hours?)\s*(?:om|a|per|i)"
    r"\s*(?:ugen|week|maaneden|month)\b",
    r"\b(?:i\s+)?(?:ferien|sommerferien|holidays)\b",
    r"\b(?:hele tiden|anytime|any time|fleksibelt|flexible)\b",
]


def extract_availability(text: str) -> str | None:
    """The time someone offers, as they said it ('onsdag eftermiddag', '2 hours a week')."""
    # Fold character by character, remembering where each folded character came from, so the
    # span found in the folded text maps back onto the person's own spelling.
    folded, origin = "", []
    for index, char in enumerate(text):
        piece = fold(char)
        folded += piece
        origin += [index] * len(piece)
    spans = [match.span() for pattern in _AVAILABILITY for match in re.finditer(pattern, folded)]
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return text[origin[start]:origin[end - 1] + 1].strip()


# --- language -----------------------------------------------------------------------------------

_EN = {"the", "and", "i", "you", "is", "are", "to", "of", "what", "my", "can", "would", "want",
       "we", "it", "in", "please", "with", "have", "this", "that", "for", "like", "do", "not",
       "english", "hello", "hi", "thanks", "yes", "no", "why", "me", "speak", "help", "could"}
_DA = {"jeg", "og", "du", "er", "det", "at", "en", "til", "på", "paa", "med", "ikke", "vil",
       "gerne", "kan", "hvad", "hvorfor", "min", "mit", "vi", "har", "som", "for", "af", "dansk",
       "hej", "tak", "ja", "nej", "mig", "tale", "godt", "også", "ogsaa", "lige", "hjælp"}


def detect_language(text: str) -> str | None:
    """'en' or 'da' when the message clearly is one of them, None when it is too short to say."""
    tokens = words(text)
    if len(tokens) < 3:
        return None
    english = sum(t in _EN for t in tokens)
    danish = sum(t in _DA for t in tokens) + 2 * bool(re.search(r"[æøå]", text.lower()))
    if english >= 2 and english >= 2 * danish:
        return "en"
    if danish >= 2 and danish >= 2 * english:
        return "da"
    return None


def requested_language(text: str) -> str | None:
    """The language named in a switch request ('English please', 'på dansk'), if any."""
    folded = fold(text)
    if re.search(r"engelsk|english|englisch|eng\b", folded):
        return "en"
    if re.search(r"dansk|danish|daensk", folded):
        return "da"
    return None
