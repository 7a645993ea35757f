"""`install`: the pip requirement CI installs shipspec from, read by a small strict parser.

Only three shapes pass, each naming shipspec and pinning exactly one thing that
cannot move: one version (`shipspec==1.2.3`), one git commit (`shipspec @
git+https://host/org/shipspec@<40-hex sha>`) or one archive by its hash
(`shipspec @ https://host/shipspec-1.2.3.tar.gz#sha256=<64 hex>`; pip checks a
`#sha256=` fragment of a URL it installs, pip's "Hash-checking mode"). PEP 508
allows far more (ranges, extras, markers, any URL), and each of those would let
CI install whatever is newest, or whatever someone else publishes under the
name: a parser that accepts only these shapes is shorter than one of PEP 508
with the rest refused, and `packaging` is not a dependency of shipspec.

The accepted characters exclude quotes, `$`, `{`, `}`, `\\` and blanks, so the
requirement is one shell word once quoted, and no CI provider expands anything
in it (GitHub `${{ }}`, GitLab and Travis `$VAR`).
"""

from __future__ import annotations

import re

PROJECT = "shipspec"
# PEP 440's canonical public version (its appendix), plus a local label; no wildcard.
_VERSION = (
    r"(?:[1-9][0-9]*!)?(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*(?:(?:a|b|rc)(?:0|[1-9][0-9]*))?"
    r"(?:\.post(?:0|[1-9][0-9]*))?(?:\.dev(?:0|[1-9][0-9]*))?(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?"
)
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_URL_CHARS = r"[A-Za-z0-9._~:/@%+=&?#!,-]+"
_HOST_PATH = r"[A-Za-z0-9.-]+(?::[0-9]+)?/[A-Za-z0-9._~/%+-]+"
_GIT = rf"git\+(?:https|ssh)://(?:[A-Za-z0-9._-]+@)?{_HOST_PATH}@(?P<ref>[^@#?]*)"
_ARCHIVE = rf"https://{_HOST_PATH}\.(?:tar\.gz|zip|whl)#(?P<fragment>.*)"
_SHA = r"[0-9a-f]{40}"
_HASH = r"sha256=[0-9a-f]{64}"
EXAMPLES = (
    "pin one version (shipspec==1.2.3), one commit (shipspec @ git+https://github.com/acme/shipspec@<40-hex sha>) "
    "or one archive by its hash (shipspec @ https://example.com/shipspec-1.2.3.tar.gz#sha256=<64 hex>)"
)
_UNPINNED = "would let CI install whatever is newest, or whatever someone else publishes under that name"


def normalized(name: str) -> str:
    """A project name as the package index compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def check(value: str) -> str | None:
    """None when `value` pins shipspec exactly, else the reason it does not."""
    name_match = re.match(_NAME, value)
    if name_match is None:
        return f"must be a pip requirement naming {PROJECT}: {EXAMPLES}"
    name, rest = name_match.group(), value[name_match.end():]
    if normalized(name) != PROJECT:
        return f"names {name!r}, not {PROJECT}: CI would install another project"
    if not rest:
        return f"names {PROJECT} without pinning it, which {_UNPINNED}; {EXAMPLES}"
    if rest.lstrip().startswith("["):
        return f"extras are not supported; {EXAMPLES}"
    if ";" in rest:
        return f"environment markers are not supported; {EXAMPLES}"
    stripped = rest.strip()
    if stripped.startswith("@"):
        return _direct(stripped[1:].strip())
    if stripped.startswith("==") and not stripped.startswith("==="):
        version = stripped[2:].strip()
        if re.fullmatch(_VERSION, version):
            return None
        if "*" in version:
            return f"the wildcard in {version!r} is a range, which {_UNPINNED}; {EXAMPLES}"
        return f"{version!r} is not a PEP 440 version; {EXAMPLES}"
    return f"{stripped!r} is not exactly one version: a range {_UNPINNED}; {EXAMPLES}"


def _direct(url: str) -> str | None:
    if not re.fullmatch(_URL_CHARS, url):
        return f"the URL {url!r} has a blank, quote, '$', brace or backslash; {EXAMPLES}"
    git = re.fullmatch(_GIT, url)
    if git is not None:
        if re.fullmatch(_SHA, git["ref"]):
            return None
        return (f"pins git ref {git['ref']!r}, not a full 40-hex commit sha: a branch or tag can move, and a short "
                f"sha can become ambiguous; {EXAMPLES}")
    if url.startswith(("git+https://", "git+ssh://")):
        return f"a git URL must end with @<40-hex commit sha> and carry no fragment or query; {EXAMPLES}"
    archive = re.fullmatch(_ARCHIVE, url) or re.fullmatch(_ARCHIVE, url + "#")
    if archive is not None:
        if re.fullmatch(_HASH, archive["fragment"]):
            return None
        return f"an archive must end with #sha256=<64 hex>: else CI installs whatever the URL serves; {EXAMPLES}"
    return f"a direct reference must be a git+https:// or git+ssh:// URL or an https:// archive; {EXAMPLES}"
