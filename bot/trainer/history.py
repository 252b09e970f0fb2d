"""The content folder's git history: commits touching the data folders, their diffs, and the
reverse of one commit (computed in a scratch folder; the studio checks and writes it)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.trainer.files import DATA_FILES, DATA_FOLDERS

TRACKED = (*DATA_FOLDERS, *DATA_FILES)  # what the history shows and Revert undoes

SHA = re.compile(r"[0-9a-f]{7,40}")
SEPARATOR = "\x1f"


class GitError(Exception):
    pass


@dataclass
class Commit:
    sha: str
    author: str
    email: str
    date: str
    message: str


def git(root: Path, *args: str, input_text: str | None = None, env: dict | None = None) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          input=input_text, env=env, check=False)
    if done.returncode != 0:
        raise GitError((done.stderr or done.stdout).strip() or f"git {args[0]} failed")
    return done.stdout


def commits(root: Path, limit: int = 50) -> list[Commit]:
    fmt = SEPARATOR.join(["%H", "%an", "%ae", "%ad", "%s"])
    out = git(root, "log", f"-n{limit}", "--date=iso", f"--format={fmt}", "--", *TRACKED)
    return [Commit(*line.split(SEPARATOR, 4)) for line in out.splitlines() if line]


def check_sha(sha: str) -> str:
    if not SHA.fullmatch(sha):
        raise GitError(f"not a commit id: {sha!r}")
    return sha


def show(root: Path, sha: str) -> tuple[Commit, str]:
    """The commit and its diff of the data folders."""
    fmt = SEPARATOR.join(["%H", "%an", "%ae", "%ad", "%s"])
    head = git(root, "show", "-s", "--date=iso", f"--format={fmt}", check_sha(sha), "--")
    diff = git(root, "show", "--format=", "--no-color", sha, "--", *TRACKED)
    return Commit(*head.strip().split(SEPARATOR, 4)), diff


def reverted_files(root: Path, sha: str) -> dict[str, str]:
    """{path: content} of the files `sha` changed, with its change undone on today's text."""
    diff = git(root, "show", "--format=", "--no-color", "--binary", check_sha(sha), "--",
               *TRACKED)
    if not diff.strip():
        raise GitError("this commit changed nothing in the data folders")
    names = git(root, "show", "--format=", "--name-only", sha, "--", *TRACKED).split()
    with tempfile.TemporaryDirectory(prefix="samtale-revert-") as scratch:
        base = Path(scratch)
        for name in names:
            source = root / name
            if source.is_file():
                (base / name).parent.mkdir(parents=True, exist_ok=True)
                (base / name).write_bytes(source.read_bytes())
        done = subprocess.run(["git", "apply", "-R", "--whitespace=nowarn", "-"], cwd=base,
                              input=diff, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise GitError("the change cannot be undone on today's files (they changed since): "
                           + done.stderr.strip())
        return {name: (base / name).read_text(encoding="utf-8") for name in names
                if (base / name).is_file()}


def commit(root: Path, paths: list[str], message: str, author: str, email: str) -> str:
    """Commit exactly these paths (nothing else staged goes with them); the new commit's id."""
    git(root, "add", "--", *paths)
    env = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email}
    git(root, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message,
        "--", *paths, env={**os.environ, **env})
    return git(root, "rev-parse", "HEAD").strip()
