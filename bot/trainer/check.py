"""`rasa data validate` on a copy of the content folder with the change applied: the engine
environment's own Rasa, the project's config.yml, nothing written to the real folders."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

RASA_FOLDERS = ("domain", "nlu", "stories")
TIMEOUT_SECONDS = 180
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WARNING = re.compile(r"UserWarning: (.*)")
ERROR = re.compile(r"(ERROR|Error|error)")
# Warnings Rasa gives for the project as it is (utterances sent by actions, not stories) are
# not the trainer's doing; a warning the change ADDS is refused. Keyed by the data's digest.
_baselines: dict[str, frozenset[str]] = {}
# Responses the form and the actions send, never a story: a new question's utter_ask_<slot>
# (conversations.yml) is "not used in any story or rule" by design, not a trainer's mistake.
SENT_BY_THE_FORM = re.compile(
    r"The utterance 'utter_(?:ask|reask|why|ack)_[a-z0-9_]+' is not used in any story or rule")


class ValidationFailed(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def copy_for_check(root: Path, target: Path) -> None:
    """The Rasa data folders and config.yml of root, copied into target."""
    for folder in RASA_FOLDERS:
        if (root / folder).is_dir():
            shutil.copytree(root / folder, target / folder, symlinks=False)
    if not (root / "config.yml").is_file():
        raise ValidationFailed([f"{root} has no config.yml for rasa data validate"])
    shutil.copy2(root / "config.yml", target / "config.yml")


def digest(folder: Path) -> str:
    """One hash of every file Rasa reads in a checked folder."""
    hasher = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (path.name == "config.yml" or path.relative_to(folder).parts[0]
                               in RASA_FOLDERS):
            hasher.update(path.relative_to(folder).as_posix().encode() + b"\0")
            hasher.update(path.read_bytes() + b"\0")
    return hasher.hexdigest()


def run_validate(rasa: Path, folder: Path, project_root: Path) -> frozenset[str]:
    """Rasa's validator in `folder`: its warnings, or ValidationFailed with its errors."""
    env = {**os.environ, "PYTHONPATH": str(project_root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [str(rasa), "data", "validate", "--data", "nlu", "stories", "--domain", "domain",
               "--config", "config.yml"]
    try:
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ValidationFailed([f"rasa data validate could not run: {error}"]) from None
    lines = [ANSI.sub("", line).strip() for line in (done.stdout + "\n" + done.stderr).splitlines()]
    warnings = frozenset(found.group(1).strip() for line in lines
                         if (found := WARNING.search(line)))
    if done.returncode != 0:
        errors = [line for line in lines if line and ERROR.search(line)]
        raise ValidationFailed(errors[-15:] or lines[-15:] or
                               [f"rasa data validate failed with exit code {done.returncode}"])
    return warnings


def validate_change(rasa: Path, root: Path, changed: Path, project_root: Path) -> None:
    """ValidationFailed if Rasa refuses `changed` (a checked copy of root with the change) or
    warns about something it did not warn about in root."""
    warnings = run_validate(rasa, changed, project_root)
    key = digest(root)
    if key not in _baselines:
        with tempfile.TemporaryDirectory(prefix="samtale-baseline-") as scratch:
            copy_for_check(root, Path(scratch))
            _baselines[key] = run_validate(rasa, Path(scratch), project_root)
    new = sorted(w for w in warnings - _baselines[key] if not SENT_BY_THE_FORM.search(w))
    if new:
        raise ValidationFailed(new)
    _baselines[digest(changed)] = warnings  # the next save starts from here
