"""A question added to the gift conversation in conversations.yml alone (plus its two responses),
no Python: a model trained from a copy of the content asks it through the real stack, the answer
is validated and stored as a detail of the gift, and the closing summary shows it.

The copy's model is trained here (Rasa's cache shared, so only what the change touches is
trained again); the action server follows the copy's plan through SAMTALE_PLAN_FILE."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import bot.launcher
from actions import plan_domain, plan_file

from .conftest import ROOT, Client, button, running_stack, texts

pytestmark = pytest.mark.e2e

ASK_PLACE = """
  utter_ask_gift_place:
    - text: "Hvor kunne du tænke dig at gøre det – hjemme, i foreningen eller et helt andet sted?"
    - condition: [{type: slot, name: language, value: en}]
      text: "Where would you like to do it – at home, in a club or somewhere else entirely?"
"""


def content_with_a_new_question(target: Path) -> Path:
    """conversations.yml, domain, nlu, stories and config of the project, with the question
    gift_place added after the gift (citizens), stored as the gift's detail `place`, and shown
    in the summary."""
    for folder in ("domain", "nlu", "stories"):
        shutil.copytree(ROOT / folder, target / folder)
    shutil.copy2(ROOT / "config.yml", target / "config.yml")
    (target / "var").mkdir()
    (target / "var" / "spacy").symlink_to(ROOT / "var" / "spacy")  # config.yml's relative path
    text = (ROOT / "conversations.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    gift = data["conversations"]["gift"]
    gift["questions"]["citizen"].insert(1, {"slot": "gift_place", "kind": "free_text",
                                            "stores": "detail", "detail": "place"})
    gift["summary"]["add"] = ["gift_place"]
    (target / "conversations.yml").write_text(plan_file.render(data, plan_file.header_of(text)))
    with open(target / "domain" / "conversations.yml", "a", encoding="utf-8") as responses:
        responses.write(ASK_PLACE)
    assert plan_domain.main(["--root", str(target)]) == 0  # the derived domain, complete
    return target


def train(content: Path) -> Path:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_CACHE_DIRECTORY": str(ROOT / ".rasa" / "cache")}
    done = subprocess.run(
        [str(ROOT / ".venv-engine" / "bin" / "rasa"), "train", "--data", "nlu", "stories",
         "--domain", "domain", "--config", "config.yml", "--out", "models",
         "--fixed-model-name", "plan"], cwd=content, env=env, capture_output=True, text=True,
        timeout=1500, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return content / "models" / "plan.tar.gz"


@pytest.fixture(scope="module")
def plan_stack(tmp_path_factory) -> Iterator[Client]:
    content = content_with_a_new_question(tmp_path_factory.mktemp("plan-content"))
    model = train(content)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.launcher, "MODEL", str(model))  # the Procfile's --model
        yield from running_stack("sqlite", tmp_path_factory, workers="1", name="plan",
                                 extra_env={"SAMTALE_PLAN_FILE":
                                            str(content / "conversations.yml"),
                                            # This model, not the one the model server serves.
                                            "MODEL_SERVER": "false"})


def test_a_question_added_in_the_plan_is_asked_stored_and_summarised(plan_stack):
    lene = f"lene-{uuid.uuid4().hex[:8]}"
    offer = "jeg kan strikke huer til nyfødte om søndagen"
    replies = plan_stack.say(lene, offer, "da")
    replies = plan_stack.say(lene, button(replies, "Ja"))
    replies = plan_stack.say(lene, button(replies, "Som borger"))
    said = texts(replies)
    assert "strikke huer til nyfødte" in said
    assert "Hvor kunne du tænke dig at gøre det" in said  # the new question, asked next

    replies = plan_stack.say(lene, "i kirkens køkken")
    [gift] = plan_stack.outcomes(lene)
    assert gift["kind"] == "gift" and gift["text"] == offer
    assert gift["details"]["place"] == "i kirkens køkken"
    assert "søndag" in str(gift["details"]["availability"]).lower()  # the rest as before

    replies = plan_stack.say(lene, button(replies, "Afslut for nu"))
    replies = plan_stack.say(lene, button(replies, "Nej tak"))  # no contact
    summary = texts(replies)
    assert f"Det, du kan give: “{offer}” (i kirkens køkken)" in summary
