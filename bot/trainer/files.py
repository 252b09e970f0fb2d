"""The only files trainers may read or write: YAML under domain/, nlu/, stories/, lexicons/ of
the content folder, and the conversation plan (conversations.yml at its top). Every path from a
form goes through `resolve`, so ../, absolute paths and symlinks leading out are refused before
anything is opened."""

from __future__ import annotations

from pathlib import Path

import yaml

# tests/stories/ holds Rasa's test stories; the review inbox writes new ones there.
DATA_FOLDERS = ("domain", "nlu", "stories", "lexicons", "tests/stories")
SUFFIXES = (".yml", ".yaml")
# Single data files at the top of the content folder (not in domain/: Rasa would read it).
DATA_FILES = ("conversations.yml",)


class DataError(Exception):
    """A file trainers may not touch, or one that cannot be read: the message says which and why."""


def resolve(root: Path, relative: str) -> Path:
    """root/relative if it is a YAML file inside one of the data folders, else DataError."""
    if not relative or "\x00" in relative or "\\" in relative:
        raise DataError(f"not a data file: {relative!r}")
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise DataError(f"only files under {', '.join(DATA_FOLDERS)} may be changed: {relative!r}")
    if relative in DATA_FILES:
        pass  # the plan: a file of its own at the top
    elif not _in_data_folder(candidate) or candidate.suffix not in SUFFIXES:
        raise DataError(f"only .yml files under {', '.join(DATA_FOLDERS)} may be changed: "
                        f"{relative!r}")
    root = root.resolve()
    full = root / candidate
    # Every component must be a real directory or file, never a symlink (one inside could
    # point anywhere, now or after a later change).
    probe = root
    for part in candidate.parts:
        probe = probe / part
        if probe.is_symlink():
            raise DataError(f"{relative!r} is a symbolic link; trainers edit real files only")
    if not full.resolve().is_relative_to(root):
        raise DataError(f"{relative!r} lies outside the content folder")
    return full


def _in_data_folder(candidate: Path) -> bool:
    # A folder may be nested (tests/stories): compare the leading parts, not only the first.
    return any(candidate.parts[: len(Path(folder).parts)] == Path(folder).parts
               and len(candidate.parts) > len(Path(folder).parts) for folder in DATA_FOLDERS)


def relative_name(root: Path, path: Path) -> str:
    return path.relative_to(root.resolve()).as_posix()


def data_files(root: Path, folder: str) -> list[str]:
    """The YAML files of one data folder, sorted, as paths relative to root."""
    base = root.resolve() / folder
    found = []
    for path in sorted(base.rglob("*")):
        if path.suffix in SUFFIXES and path.is_file() and not path.is_symlink():
            found.append(relative_name(root, path))
    return found


def read_text(root: Path, relative: str) -> str:
    """The file's text; DataError with the decoder's or parser's message if it is not UTF-8 YAML."""
    path = resolve(root, relative)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{relative}: no such file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{relative}: not UTF-8 text ({error})") from None
    problem = yaml_problem(text)
    if problem:
        raise DataError(f"{relative}: {problem}")
    return text


def yaml_problem(text: str) -> str | None:
    """None if the text is well-formed YAML, else the parser's message with line and column."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return f"YAML error at {where}{error.problem or error.context}"
    except yaml.YAMLError as error:
        return f"YAML error: {error}"
    return None
