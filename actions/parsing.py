"""Pure text parsing for the conversations: choices, ladder steps, "no doubts", skills.

No Rasa here, so every rule is unit-tested with plain strings; the only I/O is reading the
skills lexicon and the language model once per process. Dates live in actions/dates.py,
availability in actions/availability.py, the language identifier in actions/langid.py.
Danish is often typed without æøå (ae/oe/aa), so every word list is matched on a folded form.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from bot import lexicon

from .availability import availability_text, extract_availability  # noqa: F401 (re-exported)
from .dates import parse_due_date  # noqa: F401 (re-exported)
from .langid import detect_language  # noqa: F401 (re-exported)

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


# A "no" to the doubt question: the no itself, what softens it, and ways of saying "no doubts".
_NO_CORE = ["nej", "nej tak", "nope", "no", "nah", "nix", "no thanks", "ingen", "intet", "ingenting",
       "ikke noget", "ikke nogen", "ikke rigtig", "egentlig ikke", "i grunden ikke", "slet ikke",
       "overhovedet ikke", "ikke umiddelbart", "ikke som saadan", "ikke lige nu", "none",
       "nothing", "not really", "not at all", "not right now", "not for now", "nothing really"]
_NO_DOUBTS = [
    "ingen tvivl", "ikke nogen tvivl", "ingen bekymringer", "ingen betaenkeligheder",
    "ingen forbehold", "ingen indvendinger", "ingen spoergsmaal", "ingen problemer",
    "komme i tanke om", "kommer i tanke om", "kan ikke komme i tanke om", "tryg ved",
    "tilfreds med", "ikke bekymret", "ikke nervoes", "fint med mig", "alt er godt", "alt godt",
    "det er fint", "helt fint", "no doubts", "no doubt", "no concerns", "no worries",
    "no reservations", "no objections", "no questions", "no problems", "nothing comes to mind",
    "nothing springs to mind", "comes to mind", "think of anything", "think of any",
    "that i can think of", "fine with it", "comfortable with it", "happy with it",
    "ok with it", "okay with it", "not worried", "all good", "i'm good", "im good"]
# Words that may stand around a "no" without making it a doubt ("nej, jeg er ret tryg ved det").
_FILLER = {
    "jeg", "i", "har", "have", "has", "had", "er", "am", "is", "are", "'m", "m", "det", "it",
    "its", "it's", "that", "der", "ret", "quite", "pretty", "fairly", "very", "meget", "egentlig",
    "egentligt", "really", "actually", "vist", "tror", "think", "guess", "suppose", "umiddelbart",
    "her", "here", "lige", "nu", "now", "right", "for", "at", "all", "ikke", "not", "no",
    "rigtig", "nogen", "noget", "any", "anything", "some", "thanks", "tak", "ellers", "otherwise",
    "saa", "so", "well", "altsaa", "hmm", "oeh", "naa", "saadan", "faktisk", "og", "and", "med",
    "with", "om", "about", "fine", "ok", "okay", "godt", "good", "jo", "ja", "yes", "don't",
    "dont", "do", "does", "can't", "cant", "cannot", "kan", "can", "could", "mind", "comes", "to",
    "the", "moment", "currently", "pt", "p.t", "tiden", "there", "isn't", "isnt", "aren't",
    "arent", "mig", "me", "my", "mine", "min", "mit", "personally", "personligt", "helt",
    "totally", "completely", "bare", "just", "i'm", "im", "i've", "ive", "i'd", "that's", "thats",
    "there's"}


def _consume(tokens: list[str], phrases: Iterable[str]) -> tuple[list[str], bool]:
    """The tokens left after removing every occurrence of the phrases (longest first)."""
    found = False
    for phrase in sorted(phrases, key=lambda p: -len(p.split())):
        parts = phrase.split()
        i = 0
        while i + len(parts) <= len(tokens):
            if tokens[i:i + len(parts)] == parts:
                del tokens[i:i + len(parts)]
                found = True
            else:
                i += 1
    return tokens, found


def is_none_answer(text: str) -> bool:
    """A no-doubts answer to the dissent question ("nej, egentlig ikke", "nothing comes to
    mind", "nej, jeg er ret tryg ved det"), but not a doubt that starts with "nej"
    ("nej, jeg tror ikke kommunen lytter"): beyond the no, only filler words may remain."""
    tokens = words(fold(text))
    tokens, said_no_doubts = _consume(tokens, _NO_DOUBTS)
    tokens, said_no = _consume(tokens, _NO_CORE)
    return (said_no or said_no_doubts) and all(t in _FILLER for t in tokens)


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


_CARDINALS = {"en": 1, "et": 1, "een": 1, "one": 1, "to": 2, "two": 2, "tre": 3, "three": 3,
              "fire": 4, "four": 4}
_ORDINALS = {"foerste": 1, "first": 1, "1st": 1, "anden": 2, "andet": 2, "second": 2, "2nd": 2,
             "tredje": 3, "third": 3, "3rd": 3, "fjerde": 4, "fourth": 4, "4th": 4}
# A number word counts only next to a word that makes it a step: "en", "et" and "to" are also
# Danish articles and English "to", "anden" is also "other", "first" also "at first".
_STEP_BEFORE = {"trin", "trinnet", "step", "nummer", "number", "nr", "no", "niveau", "level",
                "rung", "option", "mulighed", "#"}
_ORDINAL_BEFORE = _STEP_BEFORE | {"the", "den", "det"}
_STEP_AFTER = {"one", "step", "trin", "level", "niveau", "rung", "option", "mulighed", "ones"}
_ONLY_WITH_A_STEP_WORD = {"en", "et", "een", "to", "anden", "andet", "first", "one"}


def _step_candidates(tokens: list[str]) -> list[int]:
    if len(tokens) == 1:  # "to", "anden", "3": a one-word answer is the step itself
        value = _CARDINALS.get(tokens[0]) or _ORDINALS.get(tokens[0])
        return [int(tokens[0])] if tokens[0].isdigit() else [value] if value else []
    short = len(tokens) <= 3
    values = []
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token.isdigit():
            if short or before in _STEP_BEFORE | {"paa", "at", "on"} or after in _STEP_AFTER:
                values.append(int(token))
        elif token in _CARDINALS:
            context = before in _STEP_BEFORE or (before in {"paa"} and token != "en")
            if context or (short and token not in _ONLY_WITH_A_STEP_WORD):
                values.append(_CARDINALS[token])
        elif token in _ORDINALS:
            context = before in _ORDINAL_BEFORE or after in _STEP_AFTER
            if context or (short and token not in _ONLY_WITH_A_STEP_WORD):
                values.append(_ORDINALS[token])
    return values


def parse_step(text: str, top: int) -> int | None:
    """A step 1..top from a button value or an answer ("jeg står vist på trin nummer to",
    "I'd say the second one", "probably step 3"); None when unclear ("mellem to og tre")."""
    tokens = [t for t in re.findall(r"#|\d+(?:st|nd|rd|th)?|[^\W\d_]+(?:'[a-z]+)?",
                                    fold(text)) if t]
    tokens = [re.sub(r"^(\d+)(?:st|nd|rd|th)$", r"\1", t) if t[0].isdigit() and
              t not in _ORDINALS else t for t in tokens]
    values = set(_step_candidates(tokens))
    if len(values) != 1:
        return None
    step = values.pop()
    return step if 1 <= step <= top else None


# --- gifts: skills and availability --------------------------------------------------------------

def gift_skills(text: str, language: str | None) -> dict[str, list[str]]:
    """A gift's skills for its outcome details: labels in the conversation's language (what
    staff and the person read) and canonical ids (what staff filter and match on)."""
    found = lexicon.extract_skills(text, language)
    return {"skills": [s.label(language) for s in found], "skill_ids": [s.id for s in found]}


# --- language -----------------------------------------------------------------------------------

def requested_language(text: str) -> str | None:
    """The language named in a switch request ('English please', 'på dansk'), if any."""
    folded = fold(text)
    if re.search(r"engelsk|english|englisch|eng\b", folded):
        return "en"
    if re.search(r"dansk|danish|daensk", folded):
        return "da"
    return None
