"""Contact details: an e-mail address or a Danish phone number, taken out of the answer and
normalised; anything else is no contact detail (the bot asks again, the store refuses it)."""

from __future__ import annotations

import pytest

from bot.store.validation import MAX_CONTACT_LENGTH, contact_details

VALID = [
    ("anna@example.dk", "anna@example.dk"),
    ("  Anna.Hansen+samtale@Kommune.DK  ", "Anna.Hansen+samtale@kommune.dk"),
    ("du kan skrive til bo_jensen@mail.tele.dk, tak", "bo_jensen@mail.tele.dk"),
    ("søren@æblegården.dk", "søren@æblegården.dk"),
    ("my email is o'brien@example.co.uk.", "o'brien@example.co.uk"),
    ("first-last@sub-domain.example.org", "first-last@sub-domain.example.org"),
    ("22334455", "+45 22334455"),
    ("22 33 44 55", "+45 22334455"),
    ("2233 4455", "+45 22334455"),
    ("+45 22 33 44 55", "+45 22334455"),
    ("+4522334455", "+45 22334455"),
    ("0045 22334455", "+45 22334455"),
    ("0045-22-33-44-55", "+45 22334455"),
    ("ring på 40.50.60.70 efter kl. 16", "+45 40506070"),
    ("call me on 91 23 45 67", "+45 91234567"),
    ("mail: a@b.dk, tlf. 40 50 60 70", "a@b.dk, +45 40506070"),
]

INVALID = [
    "nej tak",
    "no thanks",
    "",
    "anna",
    "anna@",
    "anna@example",  # no top-level domain
    "anna@@example.dk",
    "anna@example.d",  # a one-letter top-level domain
    "anna@-example.dk",
    "anna@example_dk.dk",
    "@example.dk",
    "1234567",  # seven digits
    "12345678",  # Danish numbers do not start with 1 (service numbers)
    "02345678",
    "223344556",  # nine digits
    "2233445566",
    "010190-1234",  # a CPR number is not a phone number
    "0101901234",
    "+46 22334455",  # a Swedish number
    "ring mig op i morgen",
    "a" * 65 + "@example.dk",  # local part over 64 characters
    "x" * 5000 + "@example.dk",
]


@pytest.mark.parametrize(("answer", "expected"), VALID)
def test_valid_contact_details_are_found_and_normalised(answer: str, expected: str) -> None:
    assert contact_details(answer) == expected
    assert len(expected) <= MAX_CONTACT_LENGTH


@pytest.mark.parametrize("answer", INVALID)
def test_anything_else_is_no_contact_detail(answer: str) -> None:
    assert contact_details(answer) is None


def test_only_the_contact_detail_is_kept_not_the_words_around_it() -> None:
    answer = "Jeg hedder Anna og bor på Vestergade 3, min mail er anna@example.dk"
    assert contact_details(answer) == "anna@example.dk"
