"""Masking of personal data in free text, before anything is stored (standard library only).

Imported by the Rasa engine (engine/serve.py, engine/rest_channel.py: the tracker events) and by
the outcome store (the outcomes, as a second line), so it must run in both environments.

- CPR numbers: `ddmmyy-nnnn` or `ddmmyynnnn` whose first six digits are a real date. Since 2007
  CPR numbers need not pass the modulus-11 check, so the date is all there is to check; a
  ten-digit number that is not a date (320199-1234) is left alone.
- Phone numbers: Danish ones (eight digits, optionally as 2-2-2-2 or 4-4 groups, optionally
  after +45 / 0045) and international ones written with a leading + and country code.
- E-mail addresses.

Prices (1.299 kr), dates (12-03-2024, 12.03.2024), times, years and postal codes are not masked:
none of them has the shape above.
"""
from __future__ import annotations

import re

CPR, PHONE, EMAIL = "cpr", "phone", "email"
KINDS = (CPR, PHONE, EMAIL)
PLACEHOLDERS = {CPR: "[CPR-nummer]", PHONE: "[telefonnummer]", EMAIL: "[e-mail]"}

# A digit group must not continue another number (1.234.567, 12-34-56-78-90, 0,5).
_BEFORE = r"(?<![\w.,/+-])"
_AFTER = r"(?![\w]|[.,/-]\d)"

_CPR = re.compile(_BEFORE + r"(\d{2})(\d{2})(\d{2})-?(\d{4})" + _AFTER)
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)45[ .-]?)?"  # Danish country code, optional
    r"(?:\d{8}|\d{2}(?:[ .-]\d{2}){3}|\d{4}[ .]\d{4})" + _AFTER  # not 2019-2024
    + r"|(?<![\w+])\+(?!45)[1-9]\d{0,2}(?:[ .-]?\d{2,4}){2,5}" + _AFTER
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")

_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_cpr(match: re.Match[str]) -> bool:
    day, month, year = int(match[1]), int(match[2]), int(match[3])
    if not 1 <= month <= 12 or day < 1 or day > _DAYS_IN_MONTH[month - 1]:
        return False
    # 29 February: a leap year in one of the centuries a CPR number can be from (1900 was not
    # a leap year, 2000 was; yy % 4 == 0 covers both).
    return not (month == 2 and day == 29 and year % 4 != 0)


def mask_personal_data(text: str, kinds: tuple[str, ...] | frozenset[str] = KINDS
                       ) -> tuple[str, list[str]]:
    """The text with CPR numbers, phone numbers and e-mail addresses (those in `kinds`)
    replaced by placeholders, and which kinds were found, in the order CPR, phone, e-mail."""
    if not isinstance(text, str) or not text:
        return text, []
    found: list[str] = []
    if CPR in kinds:
        dates = [match for match in _CPR.finditer(text) if _is_cpr(match)]
        for match in reversed(dates):
            text = text[:match.start()] + PLACEHOLDERS[CPR] + text[match.end():]
        if dates:
            found.append(CPR)
    if EMAIL in kinds:  # before phones: an address may hold digits
        text, count = _EMAIL.subn(PLACEHOLDERS[EMAIL], text)
        if count:
            found.append(EMAIL)
    if PHONE in kinds:
        text, count = _PHONE.subn(PLACEHOLDERS[PHONE], text)
        if count:
            found.append(PHONE)
    return text, sorted(found, key=KINDS.index)
