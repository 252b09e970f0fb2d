"""A conversation from the review inbox as a Rasa test story (tests/stories/test_review_*.yml):

    text = story_yaml([story_steps(events, corrected={event_id: "deny"}, ...)])
    problems = check_story(rasa, root, project_root, text)   # Rasa's own story reader
    sha = add_test_story(studio, "tests/stories/test_review_1a2b3c4d.yml", text, ...)

The steps follow Rasa's test-story format: each user turn with the words as stored (masked)
and the intent it should get (the trainer's choice for the reviewed message, else the one Rasa
predicted), the actions the bot ran, the form's active_loop, and slot_was_set only for the
slots that influence the conversation (the only ones a story must state; the project's are all
influence_conversation: false today, so usually none). Rasa's test runner reads only files
whose name starts with `test_`, hence the prefix. The story ends at a restart: Rasa's runner
cannot apply the Restarted event (see tests/stories/test_conversations.yml).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from bot.trainer import history
from bot.trainer.files import DataError, resolve
from bot.trainer.studio import SaveRefused, Studio, author_email

FOLDER = "tests/stories"
STORY_NAME = re.compile(r"tests/stories/test_review_[0-9a-f]{8}\.yml")
# Actions no story states: Rasa adds them itself.
UNSTATED_ACTIONS = ("action_listen", "action_session_start", "action_unlikely_intent",
                    "action_extract_slots")
ENDS = ("action_restart",)
FALLBACK_INTENT = "nlu_fallback"
TIMEOUT_SECONDS = 180


def featurized_slots(domain_texts: list[str]) -> set[str]:
    """The slots of the domain files that influence the conversation (Rasa's default is yes,
    except for type any)."""
    found = set()
    for text in domain_texts:
        slots = (yaml.safe_load(text) or {}).get("slots") or {}
        for name, spec in slots.items() if isinstance(slots, dict) else []:
            spec = spec if isinstance(spec, dict) else {}
            if spec.get("influence_conversation", spec.get("type") != "any"):
                found.add(name)
    return found


def story_steps(events: list[dict[str, Any]], *, corrected: dict[int, str],
                keep_slots: set[str]) -> list[dict[str, Any]]:
    """The steps of one conversation's events (as Review.conversation_events returns them)."""
    steps: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind in ("restart",) or (kind == "action" and event.get("name") in ENDS):
            break
        if kind == "user":
            step = _user_step(event, corrected.get(event.get("id")))  # type: ignore[arg-type]
            if step:
                steps.append(step)
        elif kind == "action":
            name = event.get("name")
            if isinstance(name, str) and name not in UNSTATED_ACTIONS:
                steps.append({"action": name})
        elif kind == "active_loop":
            name = event.get("name")
            steps.append({"active_loop": name if isinstance(name, str) else None})
        elif kind == "slot" and event.get("name") in keep_slots:
            steps.append({"slot_was_set": [{event["name"]: event.get("value")}]})
    # A story ends with the bot's turn: drop a trailing user message nobody answered.
    while steps and ("user" in steps[-1] or "intent" in steps[-1]):
        steps.pop()
    return steps


def _user_step(event: dict[str, Any], corrected: str | None) -> dict[str, Any] | None:
    text = event.get("text") if isinstance(event.get("text"), str) else ""
    parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
    top = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
    intent = corrected or top.get("name")
    if not isinstance(intent, str) or not intent:
        return None
    if text.startswith("/"):
        # A pressed button: the intent (and the payload's values) without words, as Rasa's
        # story format writes it; the payload's JSON would read as entity markup in `user:`.
        step: dict[str, Any] = {"intent": intent}
        entities = [{e["entity"]: e.get("value")} for e in parse.get("entities") or []
                    if isinstance(e, dict) and isinstance(e.get("entity"), str)]
        if entities:
            step["entities"] = entities
        return step
    if not text.strip():
        return None
    return {"user": " ".join(text.split()), "intent": intent}


def story_yaml(stories: list[tuple[str, list[dict[str, Any]]]], comment: str) -> str:
    """A test-stories file: a comment line, the version, one story per (name, steps)."""
    body = {"version": "3.1", "stories": [{"story": name, "steps": steps}
                                          for name, steps in stories]}
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=1000)
    lines = "".join(f"# {line}\n" for line in comment.splitlines() if line.strip())
    return lines + text


# Runs in the engine's Python: Rasa's own YAML story reader (schema check and parse) with the
# content's domain, then every intent, action and slot must be the domain's.
_CHECK = r"""
import json, sys, logging
logging.disable(logging.WARNING)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
problems = []
try:
    domain = Domain.load(sys.argv[1])
    steps = YAMLStoryReader(domain, "review").read_from_string(sys.stdin.read())
except Exception as error:
    print(json.dumps({"problems": [f"{type(error).__name__}: {error}"]}))
    sys.exit(0)
for step in steps:
    for event in step.events:
        if isinstance(event, UserUttered) and event.intent_name not in domain.intents:
            problems.append(f"{step.block_name}: intent {event.intent_name!r} is not in the domain")
        if isinstance(event, ActionExecuted) and event.action_name and \
                event.action_name not in domain.action_names_or_texts:
            problems.append(f"{step.block_name}: action {event.action_name!r} is not in the domain")
        if isinstance(event, SlotSet) and event.key not in [s.name for s in domain.slots]:
            problems.append(f"{step.block_name}: slot {event.key!r} is not in the domain")
print(json.dumps({"problems": problems, "stories": len(steps)}))
"""


def check_story(rasa: Path, root: Path, project_root: Path, text: str) -> list[str]:
    """Problems Rasa's story reader (in the engine environment) finds in a test-stories text,
    with the domain of `root`; an empty list when it reads well."""
    python = rasa.parent / "python"
    env = {**os.environ, "PYTHONPATH": str(project_root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        done = subprocess.run([str(python), "-c", _CHECK, str(root / "domain")], input=text,
                              capture_output=True, text=True, env=env, cwd=root,
                              timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return [f"Rasa's story reader could not run: {error}"]
    last = (done.stdout.strip().splitlines() or [""])[-1]
    try:
        return list(json.loads(last)["problems"])
    except (ValueError, KeyError, TypeError):
        return [f"Rasa's story reader failed (exit code {done.returncode}): "
                + (done.stderr.strip().splitlines() or ["no output"])[-1]]


def add_test_story(studio: Studio, relative: str, text: str, *, author: str, username: str,
                   message: str) -> str:
    """Write a NEW test-stories file and commit it; the commit id. SaveRefused if the name is
    not a review story's, the file exists, or git refuses. The studio's save only changes
    existing files, so this takes the studio's locks itself and writes the same atomic way."""
    from bot.trainer import studio as studio_module  # its lock and atomic write, not copies

    message = " ".join(message.split())
    if not message:
        raise SaveRefused(["a commit message is required"])
    if not STORY_NAME.fullmatch(relative):
        raise SaveRefused([f"not a review story's file name: {relative!r}"])
    try:
        path = resolve(studio.root, relative)
        git_dir = Path(history.git(studio.root, "rev-parse", "--absolute-git-dir").strip())
    except (DataError, history.GitError) as error:
        raise SaveRefused([str(error)]) from None
    with studio._lock, studio_module._across_processes(git_dir):
        if path.exists():
            raise SaveRefused([f"{relative} exists already"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o644)  # _write_atomically keeps the mode of the file it replaces
        try:
            studio_module._write_atomically(path, text)
            return history.commit(studio.root, [relative], message, author,
                                  author_email(username))
        except (OSError, history.GitError) as error:
            path.unlink(missing_ok=True)
            raise SaveRefused([f"the story could not be saved: {error}"]) from None
