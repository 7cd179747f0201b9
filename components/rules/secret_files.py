"""Rules for `secret_files` paths (the source of each file is checked like a `secret_env` entry)."""

from __future__ import annotations

import posixpath
import re

from .credentials import shown

# Plain path segments only: no spaces, globs or shell-special characters a mount or an app might trip on.
_PATH = re.compile(r"^(/[A-Za-z0-9._-]+)+$")


def _within(inner: str, outer: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def secret_file_path_problems(paths: list[str], writable_paths: list[str]) -> list[tuple[str, str]]:
    """(path, message) per problem: absolute and normal, the directory a read-only mount that neither covers
    nor sits inside a writable path or another secret file's directory."""
    problems: list[tuple[str, str]] = []
    directories: dict[str, str] = {}
    for path in sorted(paths):
        if not _PATH.match(path) or posixpath.normpath(path) != path or "/../" in f"{path}/" \
                or "/./" in f"{path}/":
            problems.append((path, f"must be an absolute, normalised file path of letters, digits, '.', '_' or "
                                   f"'-' segments (got {shown(path)})"))
            continue
        directory = posixpath.dirname(path)
        if directory == "/":
            problems.append((path, "must be inside a directory other than '/': its directory is replaced by a "
                                   "read-only volume"))
            continue
        for writable in writable_paths:
            if _within(directory, writable) or _within(writable, directory):
                problems.append((path, f"its directory {directory} overlaps writable path {writable}; a "
                                       "directory is either a writable emptyDir or a read-only secret volume"))
        directories.setdefault(directory, path)
    for directory, path in sorted(directories.items()):
        for other, other_path in sorted(directories.items()):
            if other != directory and _within(other, directory):
                problems.append((other_path, f"its directory {other} is inside {directory}, the read-only "
                                             f"directory of {path}; keep secret files of one tree in one directory"))
        for other_path in paths:
            if other_path != path and _within(directory, other_path):
                problems.append((path, f"its directory is inside secret file {other_path}"))
    return problems
