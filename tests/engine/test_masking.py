"""bot/masking.py: CPR numbers (with a date check), phone numbers and e-mail addresses in free
text are masked; dates, prices, years and other numbers are not."""
from __future__ import annotations

import pytest

from bot.masking import CPR, EMAIL, PHONE, PLACEHOLDERS, mask_personal_data

CPRS = [
    ("Mit cpr er 010190-1234", "010190-1234"),
    ("cpr: 0101901234.", "0101901234"),
    ("Jeg hedder Anna, 311299-4321, og bor i Odense", "311299-4321"),
    ("290200-1111 er min søns", "290200-1111"),  # 29 February 2000 (a leap year)
    ("min far: 150545-2223", "150545-2223"),
    ("My CPR number is 2408857890", "2408857890"),
    ("(300688-0001)", "300688-0001"),
    ("nr. 010107-8888!", "010107-8888"),
    ("Det er 121212-1212 tror jeg", "121212-1212"),
    ("cpr 0607085555, ring ikke", "0607085555"),
    ("personnummer\n280296-1234", "280296-1234"),
    ("CPR:310150-1000", "310150-1000"),
]

NOT_CPRS = [
    "320199-1234",  # 32nd day
    "011399-1234",  # 13th month
    "000190-1234",  # day 0
    "310490-1234",  # 31 April
    "290201-1234",  # 29 February in a year that is not a leap year
    "Vi mødes 12-03-2024 kl. 14:30",
    "Det koster 1.299,00 kr.",
    "Prisen er 12.345.678 kr",
    "Fra 2019 til 2024 boede jeg i 5000 Odense C",
    "01019012345",  # eleven digits
    "1234-010190-1234",
    "ordrenummer 010190-12345",
]

PHONES = [
    ("Ring på 12345678", "12345678"),
    ("mit nummer er 12 34 56 78", "12 34 56 78"),
    ("+45 12 34 56 78 efter kl. 16", "+45 12 34 56 78"),
    ("+4512345678", "+4512345678"),
    ("0045 12345678", "0045 12345678"),
    ("tlf. 1234 5678.", "1234 5678"),
    ("Call me on +46 70 123 45 67", "+46 70 123 45 67"),
    ("(22-33-44-55)", "22-33-44-55"),
    ("sms 40.50.60.70", "40.50.60.70"),
    ("Phone: +44 20 7946 0958", "+44 20 7946 0958"),
    ("ring 87654321 eller skriv", "87654321"),
]

NOT_PHONES = [
    "Det koster 1.299 kr",
    "Vi mødes 12-03-2024 kl. 14:30",
    "12.03.2024",
    "fra 2019-2024",
    "5000 Odense C, 5 km",
    "1234567",  # seven digits
    "123456789",  # nine digits
    "Prisen er 12.345.678 kr",
    "3 + 45 = 48",
    "version 1.2.3.4",
    "Vi var 12 til 34 personer",
]

EMAILS = [
    ("skriv til anna@example.dk", "anna@example.dk"),
    ("anna.jensen+samtale@kommune.odense.dk.", "anna.jensen+samtale@kommune.odense.dk"),
    ("ÆBLE_Øst@grøn-by.dk er min", "ÆBLE_Øst@grøn-by.dk"),
    ("Mail: bo@x.io", "bo@x.io"),
    ("<kim@firma.com>", "kim@firma.com"),
    ("john.doe123@mail.co.uk, thanks", "john.doe123@mail.co.uk"),
    ("a-b@c-d.org", "a-b@c-d.org"),
    ("MIN@MAIL.DK", "MIN@MAIL.DK"),
    ("(per_1980@hotmail.com)", "per_1980@hotmail.com"),
    ("email:lise@aarhus.dk!", "lise@aarhus.dk"),
]

NOT_EMAILS = [
    "@samtale på Twitter",
    "anna@",
    "mød mig @ biblioteket",
    "a@b",
    "user@localhost",
    "jeg er 100 % sikker",
    "fra kl. 10@12",
    "x@y.1",
    "anna @ example.dk",
    "hej.med@dig.",
]


@pytest.mark.parametrize("text, cpr", CPRS)
def test_cpr_numbers_with_a_real_date_are_masked(text, cpr):
    masked, kinds = mask_personal_data(text)
    assert kinds == [CPR]
    assert masked == text.replace(cpr, PLACEHOLDERS[CPR])


@pytest.mark.parametrize("text", NOT_CPRS)
def test_numbers_that_are_not_cpr_numbers_stay(text):
    assert mask_personal_data(text, {CPR}) == (text, [])


@pytest.mark.parametrize("text, phone", PHONES)
def test_phone_numbers_are_masked(text, phone):
    masked, kinds = mask_personal_data(text)
    assert kinds == [PHONE]
    assert masked == text.replace(phone, PLACEHOLDERS[PHONE])


@pytest.mark.parametrize("text", NOT_PHONES)
def test_numbers_that_are_not_phone_numbers_stay(text):
    assert mask_personal_data(text) == (text, [])


@pytest.mark.parametrize("text, address", EMAILS)
def test_email_addresses_are_masked(text, address):
    masked, kinds = mask_personal_data(text)
    assert kinds == [EMAIL]
    assert masked == text.replace(address, PLACEHOLDERS[EMAIL])


@pytest.mark.parametrize("text", NOT_EMAILS)
def test_text_that_is_not_an_email_address_stays(text):
    assert mask_personal_data(text) == (text, [])


def test_all_kinds_at_once_and_only_those_asked_for():
    text = "cpr 010190-1234, tlf 12345678, mail anna@example.dk"
    assert mask_personal_data(text) == (
        "cpr [CPR-nummer], tlf [telefonnummer], mail [e-mail]", [CPR, PHONE, EMAIL])
    # At the contact question phone and e-mail are the answer; a CPR number never is.
    assert mask_personal_data(text, {CPR}) == (
        "cpr [CPR-nummer], tlf 12345678, mail anna@example.dk", [CPR])


@pytest.mark.parametrize("value", ["", None, 42])
def test_nothing_to_mask_in_empty_or_non_text(value):
    assert mask_personal_data(value) == (value, [])
