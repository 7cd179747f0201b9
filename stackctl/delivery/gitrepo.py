"""The git operations the deployment loop needs: read a file's history, branch, commit. Never rewrites history."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

from stackctl.errors import InputError

# Unit and record separators: commit messages may contain anything printable.
_FIELD, _RECORD = "\x1f", "\x1e"


@dataclass(frozen=True)
class Commit:
    sha: str
    committed_at: datetime
    author: str
    subject: str
    # The trailers of the commit, one dict (lower-case key -> values) per decision it records: a merge
    # commit carries those of the commits it merged that touched the file, so a promotion merged by pull
    # request keeps its record on the first-parent line.
    decisions: list[dict[str, list[str]]] = field(default_factory=list)
    merged: tuple[str, ...] = ()   # a merge commit: the commits it brought in (that touched the path)

    def decision(self, key: str, value: str) -> Optional[dict[str, list[str]]]:
        """The recorded decision whose trailer `key` has `value`, if any."""
        for trailers in self.decisions:
            if value in trailers.get(key.lower(), []):
                return trailers
        return None


def git(repo: Path, *args: str, check: bool = True) -> str:
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise InputError("git is not installed") from None
    if check and result.returncode != 0:
        raise InputError(f"git {' '.join(args[:2])} failed in {repo}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def toplevel(path: Path) -> Path:
    """The work tree containing `path`; a clear error when it is not in a git repository."""
    result = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise InputError(f"{path}: not inside a git repository (the deployment loop records every change as a commit)")
    return Path(result.stdout.strip())


def relative(repo: Path, path: Path) -> str:
    return path.resolve().relative_to(repo.resolve()).as_posix()


def is_clean(repo: Path, path: str) -> bool:
    return git(repo, "status", "--porcelain", "--", path).strip() == ""


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def resolve(repo: Path, rev: str) -> Optional[str]:
    result = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                            capture_output=True, text=True, timeout=60)
    return result.stdout.strip() if result.returncode == 0 else None


_FORMAT = f"--format=%H{_FIELD}%P{_FIELD}%ct{_FIELD}%an{_FIELD}%s{_FIELD}%(trailers:unfold,separator=%x1f){_RECORD}"


def _log(repo: Path, *args: str) -> list[tuple[str, list[str], datetime, str, str, dict[str, list[str]]]]:
    records = []
    for record in git(repo, "log", _FORMAT, *args).split(_RECORD):
        record = record.strip("\n")
        if not record:
            continue
        sha, parents, stamp, author, subject, *trailer_lines = record.split(_FIELD)
        trailers: dict[str, list[str]] = {}
        for line in trailer_lines:
            key, sep, value = line.partition(":")
            if sep:
                trailers.setdefault(key.strip().lower(), []).append(value.strip())
        records.append((sha, parents.split(), datetime.fromtimestamp(int(stamp), UTC), author, subject, trailers))
    return records


def history(repo: Path, path: Optional[str] = None, rev: str = "HEAD") -> list[Commit]:
    """Commits on `rev`'s first-parent line (that changed `path`, if given), oldest first.

    First parent: on a branch that merges pull requests, a merge commit's time is when the change reached
    the branch, which is when it started to run; the commit inside the pull request may be days older.
    """
    limit = ["--", path] if path else []
    commits = []
    for sha, parents, when, author, subject, trailers in _log(repo, "--first-parent", "--reverse", rev, *limit):
        decisions = [trailers] if trailers else []
        merged: list[str] = []
        if len(parents) > 1:
            brought = list(reversed(_log(repo, f"{parents[0]}..{parents[1]}", *limit)))
            decisions += [t for *_, t in brought if t]
            merged = [record[0] for record in brought]
        commits.append(Commit(sha, when, author, subject, decisions, tuple(merged)))
    return commits


def show(repo: Path, rev: str, path: str) -> Optional[str]:
    """`path` as of `rev`, or None when it did not exist there."""
    result = subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{path}"],
                            capture_output=True, text=True, timeout=60)
    return result.stdout if result.returncode == 0 else None


def commit(repo: Path, paths: list[str], message: str) -> str:
    """Commit `paths` (including deletions under them) with `message`; returns the new commit's sha."""
    git(repo, "add", "--all", "--", *paths)
    result = subprocess.run(["git", "-C", str(repo), "commit", "--quiet", "-F", "-", "--", *paths],
                            input=message, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise InputError(f"git commit failed in {repo}: {result.stderr.strip() or result.stdout.strip()}")
    return head(repo)


def format_trailers(trailers: list[tuple[str, str]]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in trailers)


def current_branch(repo: Path) -> Optional[str]:
    """The checked-out branch, or None on a detached HEAD."""
    result = subprocess.run(["git", "-C", str(repo), "symbolic-ref", "--quiet", "--short", "HEAD"],
                            capture_output=True, text=True, timeout=60)
    return result.stdout.strip() if result.returncode == 0 else None


def identity(repo: Path) -> str:
    """`Name <email>` of whoever commits here (what a hold and the promoter trailer record)."""
    result = subprocess.run(["git", "-C", str(repo), "var", "GIT_COMMITTER_IDENT"],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise InputError(f"git has no committer identity in {repo}: set user.name and user.email "
                         "(git config user.name ...; git config user.email ...)")
    ident = result.stdout.strip()
    return ident.rsplit(">", 1)[0] + ">" if ">" in ident else ident


def default_branch(repo: Path, fetch: bool = True) -> Optional[str]:
    """`origin`'s default branch as a remote-tracking ref (`refs/remotes/origin/main`), fetched first when
    `fetch`; None when the repository has no `origin` remote."""
    if subprocess.run(["git", "-C", str(repo), "remote", "get-url", "origin"], capture_output=True, text=True,
                      timeout=60).returncode != 0:
        return None
    head = subprocess.run(["git", "-C", str(repo), "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"],
                          capture_output=True, text=True, timeout=60)
    candidates = [head.stdout.strip()] if head.returncode == 0 else []
    candidates += ["refs/remotes/origin/main", "refs/remotes/origin/master"]
    name = next((ref for ref in candidates if resolve(repo, ref)), None)
    if fetch:
        branch = (name or "refs/remotes/origin/main").removeprefix("refs/remotes/origin/")
        result = subprocess.run(["git", "-C", str(repo), "fetch", "--quiet", "origin",
                                 f"+refs/heads/{branch}:refs/remotes/origin/{branch}"],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise InputError(f"git fetch origin {branch} failed in {repo}: {result.stderr.strip()}")
        name = f"refs/remotes/origin/{branch}"
    return name if name and resolve(repo, name) else None


def branch_tip(repo: Path, name: str) -> Optional[str]:
    """The tip of branch `name`: the local branch, else `origin`'s (as last fetched)."""
    return resolve(repo, f"refs/heads/{name}") or resolve(repo, f"refs/remotes/origin/{name}")


def check_branch_format(repo: Path, name: str) -> None:
    if subprocess.run(["git", "-C", str(repo), "check-ref-format", "--branch", name],
                      capture_output=True, text=True, timeout=60).returncode != 0:
        raise InputError(f"--branch {name!r}: not a valid git branch name")


def is_ancestor(repo: Path, older: str, newer: str) -> Optional[bool]:
    """Whether commit `older` is an ancestor of `newer` in `repo`; None when either is unknown there."""
    result = subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", older, newer],
                            capture_output=True, text=True, timeout=60)
    if result.returncode in (0, 1):
        return result.returncode == 0
    return None


class Checkpoint:
    """What a change of desired state may touch in one repository, so that any failure puts it back.

    Records the checked-out branch (or detached commit) and the branches the change creates or moves;
    `restore` returns the given paths (which were clean when the change began) to the original commit's
    content in index and working tree, switches back, and deletes or resets those branches. Other files in
    the working tree are left as they were.
    """

    def __init__(self, repo: Path, paths: list[str]) -> None:
        self.repo, self.paths = repo, paths
        self.branch = current_branch(repo)
        self.head = head(repo)
        self.refs: dict[str, Optional[str]] = {}

    def moves(self, name: str) -> None:
        self.refs.setdefault(name, resolve(self.repo, f"refs/heads/{name}"))

    def _reset_paths(self) -> None:
        git(self.repo, "reset", "--quiet", "HEAD", "--", *self.paths, check=False)
        git(self.repo, "checkout", "--quiet", "HEAD", "--", *self.paths, check=False)
        git(self.repo, "clean", "--quiet", "-fd", "--", *self.paths, check=False)

    def restore(self) -> list[str]:
        """Put everything back; returns what it did (for the error message)."""
        done = []
        self._reset_paths()
        for name, old in self.refs.items():
            if name == self.branch:
                continue
            if current_branch(self.repo) == name or resolve(self.repo, "HEAD") != self.head:
                if self.branch:
                    git(self.repo, "switch", "--quiet", self.branch, check=False)
                else:
                    git(self.repo, "switch", "--quiet", "--detach", self.head, check=False)
            if old is None:
                git(self.repo, "branch", "--quiet", "-D", name, check=False)
                done.append(f"deleted branch {name}")
            else:
                git(self.repo, "update-ref", f"refs/heads/{name}", old, check=False)
                done.append(f"reset branch {name} to {old[:10]}")
        if self.branch in self.refs and self.refs[self.branch]:
            git(self.repo, "update-ref", f"refs/heads/{self.branch}", self.refs[self.branch], check=False)
            done.append(f"reset branch {self.branch} to {self.refs[self.branch][:10]}")
        if self.branch and current_branch(self.repo) != self.branch:
            git(self.repo, "switch", "--quiet", self.branch, check=False)
        elif not self.branch and resolve(self.repo, "HEAD") != self.head:
            git(self.repo, "switch", "--quiet", "--detach", self.head, check=False)
        self._reset_paths()
        done.append(f"back on {self.branch or self.head[:10]}")
        return done
