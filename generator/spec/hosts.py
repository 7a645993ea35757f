"""The host and path of a charts repo URL, and the review API it implies (SPEC 1.1).

Not in `defaults`: that module is part of the renderer's fingerprint, and the
review API changes no generated file.
"""

from __future__ import annotations

import re
import urllib.parse

_SCP = re.compile(r"(?:[^@/\s]+@)?[^:/\s]+:(?P<path>[^\s]+)")


def review_api(repo: str) -> str:
    """SPEC 1.1: `charts.review` defaults to gitlab when the charts repo's host is or contains gitlab."""
    host = repo_host(repo)
    return "gitlab" if host == "gitlab.com" or "gitlab" in host else "github"


def repo_host(repo: str) -> str:
    """The lower-cased host of a git URL (scp-like, ssh://, https://); '' for file:// or a path."""
    if "://" in repo:
        rest = repo.split("://", 1)[1]
        authority = rest.split("/", 1)[0].rpartition("@")[2]
    else:  # scp-like: [user@]host:path
        authority = repo.split(":", 1)[0].rpartition("@")[2] if ":" in repo else ""
    if authority.startswith("["):  # an IPv6 literal keeps its colons inside the brackets
        return authority.split("]", 1)[0].lstrip("[").lower()
    return authority.split(":", 1)[0].lower()


def repo_path(repo: str) -> list[str]:
    """The path segments of a git URL (scp-like, ssh://, https://, file://), without a trailing `.git`."""
    scp = _SCP.fullmatch(repo) if "://" not in repo else None
    parts = [part for part in (scp["path"] if scp else urllib.parse.urlsplit(repo).path).split("/") if part]
    if parts and parts[-1].endswith(".git"):
        parts[-1] = parts[-1][:-4]
    return parts
