"""bot/lexicon: skills and themes found with spaCy lemmas and phrase matching over lexicons/*.yml."""
from __future__ import annotations

import pytest
import yaml

from bot import lexicon
from bot.lexicon import data
from bot.lexicon.matching import Matcher


def skill_ids(text: str, language: str) -> list[str]:
    return [s.id for s in lexicon.extract_skills(text, language)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Jeg er pensioneret tømrer", ["carpentry", "repairs"]),
    ("jeg var toemrer i 30 år", ["carpentry", "repairs"]),  # typed without ø
    ("Jeg er revisor og kan tage mig af en forenings regnskab", ["bookkeeping"]),
    ("jeg arbejder som sygeplejerske på sygehuset", ["health"]),
    ("Jeg bagte boller til hele opgangen i sidste uge", ["baking"]),
    ("jeg kunne godt reparere cyklerne i gården", ["repairs"]),
    ("jeg strikker og hækler gerne", ["crafts"]),
    ("Jeg kan hjælpe børn med lektierne og læse højt for dem", ["homework_help", "reading_aloud"]),
    ("jeg laver mad til mange og spiller guitar", ["cooking", "music"]),
    ("jeg taler arabisk og kan tolke for nye naboer", ["languages"]),
    ("jeg kan køre bil for dem, der ikke selv kan komme til lægen", ["driving"]),
    ("jeg er uddannet læge", ["health"]),
    ("jeg har en køkkenhave og luger gerne for andre", ["gardening"]),
])
def test_danish_skills_by_name_activity_and_profession(text, expected):
    assert skill_ids(text, "da") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I keep the books for a small firm and could do a football club's accounts", ["bookkeeping"]),
    ("I'm a retired carpenter", ["carpentry", "repairs"]),
    ("I used to be an accountant", ["bookkeeping"]),
    ("I was a nurse for twenty years", ["health"]),
    ("happy to bake cakes for the summer party", ["baking"]),
    ("I could fix bikes and cook for the elderly", ["repairs", "cooking"]),
    ("I knit and sew", ["crafts"]),
    ("I tutor maths and help with homework", ["homework_help"]),
    ("I coached a youth football team", ["sports"]),
    ("I translate between Arabic and English", ["languages"]),
    ("I could drive people to the doctor", ["driving"]),
    ("I'm a doctor", ["health"]),
    ("I help older people with their smartphones", ["it_help"]),
])
def test_english_skills_by_name_activity_and_profession(text, expected):
    assert skill_ids(text, "en") == expected


@pytest.mark.parametrize("text", [
    "bagefter kan jeg godt hjælpe til",           # not baking
    "jeg vil gerne have mere tid til mine børn",  # "have" is to have, not a garden
    "vi taler løbende om det i familien",         # løbende = ongoing, not running
    "jeg har ikke så meget at byde på",
    "det kører fint for mig",                     # not driving
    "jeg leder efter noget meningsfuldt",         # leder = looks for, not a leader
    "jeg bor bag skolen",                         # bag is not bage
    "jeg ved ikke helt hvad jeg kan",
    "det må vi se på senere",
    "jeg har tid om tirsdagen",
])
def test_danish_everyday_words_are_not_skills(text):
    assert skill_ids(text, "da") == []


@pytest.mark.parametrize("text", [
    "I read a lot of books",
    "I plan to come by next week",
    "I have more time now",
    "not sure what I can offer",
    "I'm not sure I can help, sorry",
    "I could run over on Saturday",
    "I'll see what happens",
    "I have Saturdays free",
    "we talked to the doctor about it",
    "nothing really",
])
def test_english_everyday_words_are_not_skills(text):
    assert skill_ids(text, "en") == []


def test_labels_follow_the_conversations_language():
    found = lexicon.extract_skills("Jeg er pensioneret tømrer", "da")
    assert [s.label("da") for s in found] == ["tømrerarbejde", "reparationer"]
    assert [s.label("en") for s in found] == ["carpentry", "repairs"]
    assert lexicon.skill("bookkeeping").label("da") == "regnskab og bogføring"
    assert lexicon.skill("no-such-skill") is None


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("En fælleshave med bænke, hvor naboer mødes", "da", ["green_spaces", "community"]),
    ("flere aktiviteter for de ældre på plejehjemmet", "da", ["elderly"]),
    ("et sted hvor de unge kan spille fodbold om aftenen", "da", ["children_youth", "sport"]),
    ("bedre gadelys, så man føler sig tryg", "da", ["safety"]),
    ("flere busser ud til landsbyerne", "da", ["mobility"]),
    ("at ingen skal sidde ensom juleaften", "da", ["community"]),
    ("koncerter og teater på biblioteket", "da", ["culture"]),
    ("a community garden with benches where neighbours meet", "en",
     ["green_spaces", "community"]),
    ("more for the kids to do after school", "en", ["children_youth"]),
    ("safer streets with better lighting", "en", ["safety"]),
    ("that older people in care homes get visitors", "en", ["elderly", "community"]),
    ("a bike lane to the station", "en", ["mobility"]),
    ("less loneliness", "en", ["community"]),
])
def test_themes_of_dreams(text, language, expected):
    assert [t.id for t in lexicon.extract_themes(text, language)] == expected


def test_every_skill_and_theme_has_both_labels_and_terms_in_both_languages():
    for concepts, path in ((lexicon.all_skills(), "skills.yml"), (lexicon.all_themes(), "themes.yml")):
        assert len(concepts) >= 8, path
        document = yaml.safe_load((data.LEXICON_DIR / path).read_text())
        for concept in concepts:
            assert concept.label("da") and concept.label("en")
            entry = document[path.removesuffix(".yml")][concept.id]
            for language in ("da", "en"):
                assert entry["words"].get(language), (path, concept.id, language)


def test_a_broken_lexicon_is_reported_with_the_file_and_entry():
    with pytest.raises(lexicon.LexiconError, match="skills.baking.label"):
        data.parse({"skills": {"baking": {"label": {"da": "bagning"}, "words": {"da": ["bage"]}}}},
                   "skills", "skills.yml", lexicon.Skill)
    with pytest.raises(lexicon.LexiconError, match=r"professions\[0\].skills"):
        data.parse({"skills": {"baking": {"label": {"da": "b", "en": "b"},
                                          "words": {"da": ["bage"]}}},
                    "professions": [{"skills": ["sailing"], "da": ["sømand"]}]},
                   "skills", "skills.yml", lexicon.Skill)
    with pytest.raises(lexicon.LexiconError, match="themes.x.words"):
        data.parse({"themes": {"x": {"label": {"da": "x", "en": "x"}, "words": {"fr": ["y"]}}}},
                   "themes", "themes.yml", lexicon.Theme)


def test_a_trainers_new_term_needs_no_code():
    parsed = data.parse({"skills": {
        "beekeeping": {"label": {"da": "biavl", "en": "beekeeping"},
                       "words": {"da": ["biavler", "bistade"], "en": ["beekeeper"]},
                       "as_written": {"da": ["bier"]}}}}, "skills", "test", lexicon.Skill)
    matcher = Matcher(parsed, "da")
    assert [c.id for c in matcher.find("Jeg har tre bistader og passer bier")] == ["beekeeping"]
    assert matcher.find("hun bistår os") == []


# A skill named as what the person cannot or will not do is no offer; the rest of the
# sentence still counts, and "don't mind" / "ikke kun" are no negation.
@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Jeg kan ikke lave mad, men jeg kan godt køre bil", "da", ["driving"]),
    ("jeg har aldrig været god til havearbejde", "da", []),
    ("Jeg har ikke noget imod at bage til naboerne", "da", ["baking"]),
    ("ikke kun madlavning – også havearbejde", "da", ["cooking", "gardening"]),
    ("Jeg kører ikke bil. Men jeg bager gerne", "da", ["baking"]),
    ("I can't cook, but I'm happy to drive people", "en", ["driving"]),
    ("I don't mind baking for the café", "en", ["baking"]),
    ("I never garden. I could cook, though", "en", ["cooking"]),
    ("not only cooking but also gardening", "en", ["cooking", "gardening"]),
])
def test_a_negated_skill_is_not_offered(text: str, language: str, expected: list[str]) -> None:
    assert skill_ids(text, language) == expected
