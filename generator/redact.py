"""Keep credentials out of every line shipspec prints or raises.

Two kinds of secret reach git and HTTP: userinfo in a URL
(`https://x-access-token:TOKEN@github.com/...`) and token values from the
environment. Both are replaced wherever they appear, including inside git's
own error messages, which quote the remote URL.
"""

from __future__ import annotations

import os
import re

MASK = "***"
# Environment variables whose values must never be shown, wherever they appear.
SECRET_VARIABLES = ("SHIPSPEC_CHARTS_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "GIT_PASSWORD",
                    "ARGOCD_AUTH_TOKEN")
# scheme://userinfo@ : the userinfo may hold a token alone or user:password.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]*)@")
# Tokens shorter than this are not masked as free text: "a" would mangle every word.
_MIN_SECRET = 6

_registered: set[str] = set()


def register(secret: str | None) -> None:
    """Mask `secret` in every later `redact` call (tokens read outside the environment)."""
    if secret and len(secret) >= _MIN_SECRET:
        _registered.add(secret)


def _secrets() -> list[str]:
    found = set(_registered)
    for name in SECRET_VARIABLES:
        value = os.environ.get(name, "")
        if len(value) >= _MIN_SECRET:
            found.add(value)
    return sorted(found, key=len, reverse=True)  # longest first: a token may contain another


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _password = match["userinfo"].partition(":")
    # `ssh://git@host` names a login, not a secret; an https user alone is usually a token.
    if not colon and match["scheme"].lower() in ("ssh://", "git+ssh://", "ssh+git://"):
        return match[0]
    kept = f"{user}:{MASK}" if colon and user else MASK
    return f"{match['scheme']}{kept}@"


def redact(text: str) -> str:
    """`text` with URL credentials and known token values replaced by ***."""
    text = _USERINFO.sub(_mask_userinfo, text)
    for secret in _secrets():
        text = text.replace(secret, MASK)
    return text

