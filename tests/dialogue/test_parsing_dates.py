"""actions/dates.py: due dates in Danish and English against fixed days, across year boundaries,
with Danish holidays for the right year; and no date where the text holds none."""
import datetime as dt

import pytest

from actions import dates, parsing

MONDAY = dt.date(2026, 11, 23)          # an ordinary Monday
YEAR_END = dt.date(2026, 12, 28)        # Monday of the week that crosses into 2027
SPRING = dt.date(2027, 3, 10)           # a Wednesday two weeks before Easter 2027
AFTER_EASTER = dt.date(2027, 4, 20)     # Easter 2027 is over: the next one is in 2028
SATURDAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("jeg ringer på tirsdag", MONDAY, "2026-11-24"),
    ("paa tirsdag", MONDAY, "2026-11-24"),
    ("fredag i næste uge", MONDAY, "2026-12-04"),            # Friday of NEXT week
    ("jeg gør det fredag i næste uge", YEAR_END, "2027-01-08"),
    ("næste uge", MONDAY, "2026-11-30"),
    ("i løbet af næste uge", YEAR_END, "2027-01-04"),
    ("i slutningen af måneden", MONDAY, "2026-11-30"),
    ("sidst på måneden", YEAR_END, "2026-12-31"),
    ("inden udgangen af måneden", MONDAY, "2026-11-30"),
    ("om tre dage", YEAR_END, "2026-12-31"),
    ("om to uger", MONDAY, "2026-12-07"),
    ("om 14 dage", YEAR_END, "2027-01-11"),
    ("om en måned", MONDAY, "2026-12-23"),
    ("den første mandag i marts", MONDAY, "2027-03-01"),
    ("den 3. marts", MONDAY, "2027-03-03"),
    ("3/4", MONDAY, "2027-04-03"),                            # day/month, Danish order
    ("senest 3.12.", MONDAY, "2026-12-03"),
    ("i morgen", YEAR_END, "2026-12-29"),
    ("i overmorgen", MONDAY, "2026-11-25"),
    ("i weekenden", MONDAY, "2026-11-28"),
    ("i weekenden", SATURDAY, "2026-11-28"),
    ("til foråret", MONDAY, "2027-03-01"),
    ("i marts", MONDAY, "2027-03-01"),
    ("midt i april", SPRING, "2027-04-15"),
    ("tirsdag om en uge", MONDAY, "2026-12-01"),
    ("den 15.", MONDAY, "2026-12-15"),
    ("i slutningen af ugen", MONDAY, "2026-11-27"),
    ("inden næste måned", YEAR_END, "2026-12-31"),
])
def test_danish_dates(text, today, expected):
    assert parsing.parse_due_date(text, today=today).isoformat() == expected


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("by Friday", MONDAY, "2026-11-27"),
    ("by Friday", YEAR_END, "2027-01-01"),
    ("next friday", MONDAY, "2026-11-27"),
    ("Friday next week", MONDAY, "2026-12-04"),
    ("next week", YEAR_END, "2027-01-04"),
    ("before the month is out", MONDAY, "2026-11-30"),
    ("by the end of the month", YEAR_END, "2026-12-31"),
    ("in two weeks", YEAR_END, "2027-01-11"),
    ("in 3 days", MONDAY, "2026-11-26"),
    ("within a fortnight", MONDAY, "2026-12-07"),
    ("in a couple of weeks", MONDAY, "2026-12-07"),
    ("the first Monday in March", MONDAY, "2027-03-01"),      # not next Monday
    ("the last Friday in May", SPRING, "2027-05-28"),
    ("the second Tuesday of next month", MONDAY, "2026-12-08"),
    ("on the 3rd of March", MONDAY, "2027-03-03"),
    ("March 3rd", MONDAY, "2027-03-03"),
    ("tomorrow", YEAR_END, "2026-12-29"),
    ("this weekend", MONDAY, "2026-11-28"),
    ("next weekend", MONDAY, "2026-12-05"),
    ("in the spring", MONDAY, "2027-03-01"),
    ("end of March", MONDAY, "2027-03-31"),
    ("early next month", YEAR_END, "2027-01-01"),
    ("this year", MONDAY, "2026-12-31"),
])
def test_english_dates(text, today, expected):
    assert parsing.parse_due_date(text, today=today).isoformat() == expected


@pytest.mark.parametrize(("text", "today", "expected"), [
    # Christmas in Denmark is Christmas Eve; "inden/by" a holiday is the day it begins.
    ("inden jul", MONDAY, "2026-12-24"),
    ("Jeg lover at ringe til min nabo inden jul", YEAR_END, "2027-12-24"),
    ("by Christmas", MONDAY, "2026-12-24"),
    ("til nytår", MONDAY, "2026-12-31"),
    # "efter nytår" is early January of the coming year (its first working day), not 31/12.
    ("efter nytår", MONDAY, "2027-01-04"),
    ("after New Year", YEAR_END, "2027-01-04"),
    ("efter nytår", dt.date(2027, 11, 1), "2028-01-03"),
    # Easter from the holidays package: 2027 Maundy Thursday 25/3, Easter Monday 29/3.
    ("inden påske", MONDAY, "2027-03-25"),
    ("inden paaske", SPRING, "2027-03-25"),
    ("after Easter", SPRING, "2027-03-30"),
    ("efter påske", AFTER_EASTER, "2028-04-18"),   # Easter Monday 2028 is 17 April
    ("before Easter", AFTER_EASTER, "2028-04-13"),
    ("til pinse", MONDAY, "2027-05-16"),
    ("efter pinse", SPRING, "2027-05-18"),
    ("Kristi himmelfartsdag", MONDAY, "2027-05-06"),
    ("by Ascension Day", AFTER_EASTER, "2027-05-06"),
    # School summer holidays: weeks 27-32; back on the Monday of week 33.
    ("over sommerferien", MONDAY, "2027-08-16"),
    ("efter sommerferien", dt.date(2026, 5, 1), "2026-08-10"),
    ("after the summer holidays", MONDAY, "2027-08-16"),
    ("inden sommerferien", dt.date(2026, 5, 1), "2026-06-26"),
])
def test_holidays_fall_on_the_right_day_of_the_right_year(text, today, expected):
    assert parsing.parse_due_date(text, today=today).isoformat() == expected


@pytest.mark.parametrize("text", [
    "jeg er sygeplejerske", "når jeg kan", "det ved jeg ikke", "snart", "senere",
    "så hurtigt som muligt", "når jeg får tid", "det kommer an på vejret", "2 timer om ugen",
    "en gang om ugen", "2 timer i måneden", "en gang i måneden", "kl. 16", "kl. 10.11", "jeg har 2 børn", "i morges", "en halv time",
    "banan", "<script>alert(1)</script>", "", "🙂🙂",
])
def test_danish_text_without_a_date_gives_none(text):
    assert parsing.parse_due_date(text, today=MONDAY) is None


@pytest.mark.parametrize("text", [
    "I am a nurse", "when I can", "I may help", "as soon as possible", "soon", "later",
    "I'll see how it goes", "whenever suits", "2 hours a week", "once a week", "I have 3 kids",
    "at 10.30", "it depends", "I march with the scouts",
])
def test_english_text_without_a_date_gives_none(text):
    assert parsing.parse_due_date(text, today=MONDAY) is None


@pytest.mark.parametrize("today", [dt.date(2026, 1, 1) + dt.timedelta(days=d)
                                   for d in range(0, 730, 23)])
def test_every_rule_gives_a_date_on_or_after_today(today):
    for text in ["på tirsdag", "fredag i næste uge", "efter nytår", "inden påske", "3/4",
                 "den første mandag i marts", "over sommerferien", "til foråret", "i weekenden",
                 "before the month is out", "after Easter", "den 15."]:
        assert dates.parse_due_date(text, today=today) >= today, (text, today)
