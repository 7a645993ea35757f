"""The host of a charts repo URL, and the review API it implies (SPEC 1.1).

Not in `defaults`: that module is part of the renderer's fingerprint, and the
review API changes no generated file.
"""

from __future__ import annotations


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
