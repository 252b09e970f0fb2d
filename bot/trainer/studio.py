"""The one door through which trainers' changes reach the content folder:

    studio.save({"domain/opening.yml": new_text}, bases={...}, author="Lise", message="...")

checks each new text (UTF-8 YAML, line and column on error), runs `rasa data validate` on a
temporary copy with the change applied, then moves each file into place atomically (a temp file
in the same folder, os.replace) and commits exactly those files. One save at a time, also
across web worker processes (a lock file in the git folder)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.trainer import check, history
from bot.trainer.files import DataError, read_text, resolve, yaml_problem

NO_REPLY_DOMAIN = "trainers.samtale.invalid"  # .invalid: never a real mailbox (RFC 2606)


class SaveRefused(Exception):
    """Nothing was written: `problems` says why, precisely."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def author_email(username: str) -> str:
    local = re.sub(r"[^A-Za-z0-9._-]", "-", username) or "trainer"
    return f"{local}@{NO_REPLY_DOMAIN}"


@dataclass
class Studio:
    root: Path  # a git work tree holding domain/, nlu/, stories/, lexicons/, config.yml
    rasa: Path  # the engine environment's rasa executable
    project_root: Path  # on PYTHONPATH for Rasa (the custom components in engine/)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self._lock = threading.Lock()

    def read(self, relative: str) -> str:
        return read_text(self.root, relative)

    def save(self, changes: dict[str, str], *, author: str, username: str, message: str,
             bases: dict[str, str] | None = None) -> str:
        """Check, write and commit; the commit id. SaveRefused (nothing written) otherwise."""
        message = " ".join(message.split())
        if not message:
            raise SaveRefused(["a commit message is required"])
        try:
            git_dir = Path(history.git(self.root, "rev-parse", "--absolute-git-dir").strip())
        except history.GitError as error:
            raise SaveRefused([f"{self.root} is not a git repository: {error}"]) from None
        with self._lock, _across_processes(git_dir):
            changes = _with_derived_domain(self.root, changes)
            targets = self._checked(changes, bases or {})
            self._validate(changes)
            for path, text in zip(targets, changes.values(), strict=True):
                _write_atomically(path, text)
            try:
                return history.commit(self.root, list(changes), message, author,
                                      author_email(username))
            except history.GitError as error:
                raise SaveRefused([f"written, but git refused the commit: {error}"]) from None

    def _checked(self, changes: dict[str, str], bases: dict[str, str]) -> list[Path]:
        problems, targets = [], []
        for relative, text in changes.items():
            try:
                targets.append(resolve(self.root, relative))
                current = self.read(relative)
            except DataError as error:
                problems.append(str(error))
                continue
            if relative in bases and bases[relative] != digest(current):
                problems.append(f"{relative} was changed by someone else since you opened it; "
                                "reload the page and make your change again")
            problem = yaml_problem(text) or _lexicon_problem(relative, text)
            if problem:
                problems.append(f"{relative}: {problem}" if problem.startswith("YAML") else problem)
        if problems:
            raise SaveRefused(problems)
        return targets

    def _validate(self, changes: dict[str, str]) -> None:
        self._check_test_stories(changes)
        if not any(relative.split("/")[0] in check.RASA_FOLDERS for relative in changes):
            return  # lexicons only: Rasa does not read them, their own schema checked them
        with tempfile.TemporaryDirectory(prefix="samtale-check-") as scratch:
            copy = Path(scratch)
            try:
                check.copy_for_check(self.root, copy)
                for relative, text in changes.items():
                    if relative.split("/")[0] in check.RASA_FOLDERS:
                        (copy / relative).write_text(text, encoding="utf-8")
                check.validate_change(self.rasa, self.root, copy, self.project_root)
            except check.ValidationFailed as error:
                raise SaveRefused(["rasa data validate refused the change:", *error.problems]
                                  ) from None

    def _check_test_stories(self, changes: dict[str, str]) -> None:
        """Test stories (tests/stories/, which `rasa data validate` does not read) go through
        Rasa's own story reader with the domain: the review inbox writes them, trainers refine
        them in the Files editor."""
        from bot.trainer.review_stories import FOLDER, check_story

        for relative, text in changes.items():
            if relative.startswith(FOLDER + "/"):
                problems = check_story(self.rasa, self.root, self.project_root, text)
                if problems:
                    raise SaveRefused([f"{relative}: Rasa's story reader refused it:",
                                       *problems])

    def revert(self, sha: str, *, author: str, username: str) -> str:
        try:
            found, _ = history.show(self.root, sha)
            files = history.reverted_files(self.root, sha)
        except history.GitError as error:
            raise SaveRefused([str(error)]) from None
        message = f'Revert "{found.message}" ({found.sha[:10]})'
        return self.save(files, author=author, username=username, message=message)


@contextlib.contextmanager
def _across_processes(git_dir: Path) -> Iterator[None]:
    """One save at a time across web workers too: a lock file in the repository's git folder
    (never in the work tree, where it would show as a change)."""
    with open(git_dir / "samtale-trainer.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _with_derived_domain(root: Path, changes: dict[str, str]) -> dict[str, str]:
    """A change of the conversation plan is checked against its schema and the domain, and
    brings its derived domain file (domain/questions.yml) into the same commit; that file is
    never edited by hand."""
    from actions import plan_domain, plan_file

    if plan_domain.PLAN not in changes:
        if plan_domain.DERIVED in changes:
            raise SaveRefused([f"{plan_domain.DERIVED} is generated from {plan_domain.PLAN}: "
                               "change the conversations there"])
        return changes
    try:
        plan = plan_file.parse(changes[plan_domain.PLAN])
    except plan_file.PlanError as error:
        raise SaveRefused(error.problems) from None
    derived = {**changes, plan_domain.DERIVED: plan_domain.derive(plan)}
    problems = plan_domain.problems_with_domain(plan, plan_domain.domain_texts(root, derived))
    if problems:
        raise SaveRefused(problems)
    return derived


def _lexicon_problem(relative: str, text: str) -> str | None:
    """The lexicon's own schema (bot/lexicon/data.py) for lexicons/skills.yml and themes.yml."""
    from bot.lexicon.data import LexiconError, Skill, Theme, parse

    kinds = {"lexicons/skills.yml": ("skills", Skill), "lexicons/themes.yml": ("themes", Theme)}
    if relative not in kinds:
        return None
    kind, concept_type = kinds[relative]
    try:
        parse(yaml.safe_load(text), kind, relative, concept_type)
    except LexiconError as error:
        return str(error)
    return None


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
