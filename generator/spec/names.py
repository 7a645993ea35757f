"""What Kubernetes, Helm, Docker and git accept as names, as plain predicates.

Each check returns None when the value is fine, or the reason it is not. Their
regexes are strings that `re` compiles on first use (and keeps): most are needed
only to explain a refused value, and compiling them all cost each run more than
validating fifty specs.

Most checks also have a fast pattern (a `Fast`, `<CHECK>_FAST`): a regex that
matches only values the check accepts, so that pydantic-core accepts the usual
value without calling Python; a value it does not match goes to the check, whose
reason is the error. An `exact` one matches all the values the check accepts
(the JSON Schema carries those, for editors). They are written in the syntax
that Rust's `regex` (pydantic-core's engine), ECMA-262 and Python's `re` read
alike: explicit classes instead of `\\s`, `\\w` or `\\d` (Unicode-wide in some
engines and not in others), no lookaround, no long bounded repetition (a length
limit is `max_length`: `{0,254}` costs compile time), no `--`, `&&` or `~~` in a class
(set operations in Rust), no `.`; the model anchors them (`^(?:...)$`, where `$`
is the end of the text in Rust and ECMA-262). tests/test_names_fast.py holds
them to their checks.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from functools import lru_cache

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_LABEL_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
# Docker's reference grammar (distribution/reference), without tag or digest.
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"(?a)[\w][\w.-]{0,127}"
_SCP_URL = r"(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?!//)[^\s]+"
_URL = r"(ssh|https|file)://([^/\s]*)(/[^\s]*)"
_SERVER = r"https?://[^\s/]+(/[^\s]*)?"
_SECURE = r"[A-Za-z0-9+/]{40,}={0,2}"
_SECRET_KEY = (
    r"(password|passwd|passphrase|token|secret|(api|private|access|secret|signing|encryption)key|credentials?)$"
)
_BAD_REF_CHARS = r"[\x00-\x20\x7f~^:?*\[\\]"
_ENV_VAR = r"[A-Za-z_][A-Za-z0-9_]*"
_RUNNER_LABEL = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_IMAGE_WITH_TAG = r"[A-Za-z0-9][A-Za-z0-9._/:@-]*"


def dns_label(value: str, max_length: int = 63) -> str | None:
    if len(value) > max_length:
        return f"must be at most {max_length} characters (has {len(value)})"
    if not re.fullmatch(_DNS_LABEL, value):
        return "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"
    return None


def label_value(value: str) -> str | None:
    if len(value) > 63 or not re.fullmatch(_LABEL_VALUE, value):
        return "must be a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends"
    return None


def label_key(value: str, kind: str = "label") -> str | None:
    """A qualified name, the API server's rule for label and annotation keys: an optional
    DNS-1123 subdomain prefix of at most 253 characters and '/', then a name part."""
    prefix, _, name = value.rpartition("/")
    if prefix and (len(prefix) > 253 or not all(re.fullmatch(_DNS_LABEL, p) for p in prefix.split("."))):
        return "has an invalid prefix: it must be a DNS subdomain"
    if len(name) > 63 or not re.fullmatch(_LABEL_NAME, name):
        return (
            f"must be a Kubernetes {kind} name: at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends"
            + (f" (the name part {name!r} has {len(name)})" if len(name) > 63 else "")
        )
    return None


def branch(value: str) -> str | None:
    """The rules of `git check-ref-format --branch`."""
    if not value or value == "HEAD":
        return f"{value!r} is not a valid branch name" if value else "must not be empty"
    if value.startswith("-"):
        return "must not start with '-'"
    if re.search(_BAD_REF_CHARS, value):
        return "must not contain spaces, control characters or any of ~ ^ : ? * [ \\"
    if ".." in value or "@{" in value or "//" in value:
        return "must not contain '..', '@{' or '//'"
    if value.startswith("/") or value.endswith("/") or value.endswith("."):
        return "must not start or end with '/' or end with '.'"
    if any(part.startswith(".") or part.endswith(".lock") for part in value.split("/")):
        return "no part between slashes may start with '.' or end with '.lock'"
    return None


def image_repository(value: str) -> str | None:
    """A Docker image reference without tag or digest, registry host optional."""
    message = "must be a Docker image reference without tag or digest, like registry.example.com:5000/team/app"
    if len(value) > 255:
        return "must be at most 255 characters"
    if "@" in value:
        return "must not carry a digest; shipspec adds the tag"
    parts = value.split("/")
    first = parts[0]
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not re.fullmatch(_DOMAIN, first):
            return message
        parts = parts[1:]
    elif ":" in value:
        return "must not carry a tag; shipspec tags images with the git sha"
    if any(":" in part for part in parts):
        return "must not carry a tag; shipspec tags images with the git sha"
    if not all(re.fullmatch(_PATH_COMPONENT, part) for part in parts):
        return message
    return None


_DIGEST = r"sha256:[0-9a-f]{64}"


def image_reference(value: str) -> str | None:
    """A full image reference to run: repository with a tag, a digest, or both."""
    rest, at, digest = value.partition("@")
    if at and not re.fullmatch(_DIGEST, digest):
        return "has an invalid digest: it must be sha256: and 64 lowercase hex digits"
    last = rest.rsplit("/", 1)[-1]
    repository, colon, tag = rest.rpartition(":") if ":" in last else (rest, "", "")
    if not colon and not at:
        return "must carry a tag or a digest (repository:tag or repository@sha256:...), so the scanner is pinned"
    problem = image_repository(repository) or (image_tag(tag) if colon else None)
    return problem and f"must be a Docker image reference with a tag or digest ({problem})"


def image_tag(value: str) -> str | None:
    if not re.fullmatch(_TAG, value):
        return "must be a Docker tag: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
    return None


def git_url(value: str) -> str | None:
    message = "must be a git URL: git@host:org/repo.git, ssh://, https:// or file://"
    match = re.fullmatch(_URL, value)
    if match:
        scheme, host, _ = match.groups()
        if _has_credentials(host.rpartition("@")[0]):
            return (
                "must not carry credentials: it is committed and copied into every Argo CD Application; "
                "give promote a token URL through SHIPSPEC_CHARTS_URL instead"
            )
        return None if host or scheme == "file" else message
    return None if re.fullmatch(_SCP_URL, value) else message


def _has_credentials(userinfo: str) -> bool:
    """A password, or a user name that is really a token (`https://ghp_…@github.com/…`)."""
    return ":" in userinfo or len(userinfo) >= 32 or userinfo.startswith(("ghp_", "gho_", "github_pat_", "glpat-"))


def server_url(value: str) -> str | None:
    if not re.fullmatch(_SERVER, value):
        return "must be an http(s) URL of a Kubernetes API server"
    if "@" in value.split("/")[2]:
        return "must not carry credentials; Argo CD keeps cluster credentials in its cluster secrets"
    return None


def argocd_server(value: str) -> str | None:
    """The Argo CD API server: https, or http for this machine only (a token must not cross a network in clear)."""
    parts = urllib.parse.urlsplit(value) if re.fullmatch(_SERVER, value) else None
    if parts is None or not parts.hostname:
        return "must be the https:// URL of the Argo CD API server, e.g. https://argocd.example.com"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials; the gate reads its token from ARGOCD_AUTH_TOKEN"
    if parts.query or parts.fragment:
        return "must not have a query or a fragment"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return "must use https:// (http:// only for a loopback address): the token would cross the network in clear"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Go's time.ParseDuration spelling restricted to whole hours, minutes and seconds, in that order
# (what CI users write); GitHub-hosted runners end a job after 6 hours
# ("Job execution time", docs.github.com/actions/learn-github-actions/usage-limits-billing-and-administration),
# so no gate waits longer.
_DURATION = r"(?:(?P<h>[0-9]{1,2})h)?(?:(?P<m>[0-9]{1,4})m)?(?:(?P<s>[0-9]{1,5})s)?"
MAX_DURATION_SECONDS = 6 * 3600


def duration_seconds(value: str) -> int | None:
    """The seconds of a duration like 90s, 20m or 1h30m; None when it is not one."""
    match = re.fullmatch(_DURATION, value)
    if not value or match is None:
        return None
    return int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)


def duration(value: str) -> str | None:
    seconds = duration_seconds(value)
    if seconds is None:
        return "must be a duration like 90s, 20m or 1h30m (hours h, minutes m, seconds s, in that order)"
    if not 0 < seconds <= MAX_DURATION_SECONDS:
        return "must be more than 0s and at most 6h"
    return None


def relative_path(value: str, *, may_climb: bool = False) -> str | None:
    """A relative POSIX path; inside the repository unless `may_climb`."""
    if not value or value.startswith("/") or "\\" in value or re.match(r"[A-Za-z]:", value):
        return "must be a relative POSIX path" + ("" if may_climb else " inside the repository")
    if not may_climb and any(part == ".." for part in value.split("/")):
        return "must not climb out of the repository with '..'"
    if ".git" in value.split("/"):
        return "must not lead into a .git folder"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "must not contain control characters"
    return None


def build_path(value: str) -> str | None:
    """Dockerfile and build context: a monorepo app may build from a parent folder."""
    return relative_path(value, may_climb=True)


def watch_glob(value: str) -> str | None:
    """A `watch` glob: a relative POSIX path pattern (`*`, `?`, `[...]`, `**`), which may climb with `..`."""
    reason = relative_path(value, may_climb=True)
    if reason:
        return reason
    if any(part == "" for part in value.split("/")):
        return "must not have an empty path segment ('//' or a trailing '/')"
    return None


def file_name(value: str) -> str | None:
    if not value or "/" in value or "\\" in value or value in {".", ".."}:
        return "must be a plain file name, without a path separator"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "must not contain control characters"
    return None


def encrypted(value: str) -> str | None:
    """Travis `secure` values are base64 ciphertext; anything else is a leaked secret."""
    if re.fullmatch(_SECURE, value):
        return None
    return "looks like plaintext, not a `travis encrypt` output; never commit a secret in clear"


@lru_cache(maxsize=4096)  # a monorepo repeats the same few value keys thousands of times
def is_secret_key(key: str) -> bool:
    """Keys like `dbPassword` or `api_token`; `existingSecret` names a Secret and is fine."""
    folded = re.sub(r"[-_.\s]", "", key).lower()
    return not folded.startswith("existing") and bool(re.search(_SECRET_KEY, folded))


def secret_name(value: str) -> str | None:
    """A CI secret or variable name that a job can read as an environment variable."""
    if not re.fullmatch(_ENV_VAR, value):
        return "must be an environment variable name: letters, digits and '_', not starting with a digit"
    # GitHub reserves the prefix for its own variables (docs.github.com, "Using secrets in GitHub Actions").
    if value.upper().startswith("GITHUB_"):
        return "must not start with GITHUB_, which GitHub reserves"
    return None


def runner_label(value: str) -> str | None:
    if len(value) > 100 or not re.fullmatch(_RUNNER_LABEL, value):
        return "must be one runner label: letters, digits, '.', '_' and '-'"
    return None


def ci_image(value: str) -> str | None:
    if len(value) > 255 or not re.fullmatch(_IMAGE_WITH_TAG, value):
        return "must be a Docker image reference, e.g. docker:27 (letters, digits and . _ / : @ -)"
    return None


# Helm value keys as `--set` and dotted paths name them; `.` separates them.
_VALUE_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
_HELM_REPO_URL = r"(https?|oci)://[^\s/@]+(/[^\s]*)?"
_CHART_NAME = r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?"
# An exact SemVer 2 version (Helm's chart versions), with Helm's optional leading v.
_EXACT_VERSION = (
    r"v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?"
)


def value_path(value: str) -> str | None:
    """A dotted path of Helm value keys, e.g. `image.tag` or `tempo.repository`."""
    if not all(re.fullmatch(_VALUE_KEY, part) for part in value.split(".")):
        return "must be a dotted path of keys (letters, digits, '_' or '-', e.g. image.tag)"
    return None


def helm_repo_url(value: str) -> str | None:
    if not re.fullmatch(_HELM_REPO_URL, value):
        return "must be a Helm repository URL (https://...) or an OCI registry path (oci://<registry>/<path>)"
    if value.startswith("oci://") and "/" not in value[len("oci://"):].rstrip("/"):
        return "an OCI chart repository needs a path after the registry host: oci://<registry>/<path>"
    return None


def chart_name(value: str) -> str | None:
    if not re.fullmatch(_CHART_NAME, value):
        return "must be a Helm chart name: lowercase letters, digits, '-', '_' or '.'"
    return None


def chart_version(value: str) -> str | None:
    if not re.fullmatch(_EXACT_VERSION, value):
        return "must be one exact chart version (e.g. 22.1.1), not a range: Argo CD deploys exactly this version"
    return None


_BREAKS_LINE = "[\x00-\x1f\x7f\u2028\u2029]"  # one search, not a Python loop per character


def one_line(value: str) -> str | None:
    if not value.strip() or re.search(_BREAKS_LINE, value):
        return "must be a non-empty single line without control characters"
    return None


class Fast:
    """A regex that matches only values its check accepts; `exact`: all of them, up to `max_length`."""

    __slots__ = ("pattern", "exact", "max_length")  # a plain class: a dataclass costs an exec at import

    def __init__(self, pattern: str, *, exact: bool = False, max_length: int | None = None) -> None:
        self.pattern = pattern
        self.exact = exact
        self.max_length = max_length

    @property
    def anchored(self) -> str:
        return f"^(?:{self.pattern})$"


def dns_label_fast(max_length: int) -> Fast:
    return Fast(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?", exact=True, max_length=max_length)


_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # str.isspace(), Python's \s
_BREAK = r"\x00-\x1f\x7f\u2028\u2029"  # _BREAKS_LINE
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"  # never '.', '..' or '.git'
_GLOB_SEGMENT = r"[A-Za-z0-9_*?\[\]-][A-Za-z0-9._*?\[\]-]*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
# A first component without '.' is a path component even before a '/' (image_repository).
_FIRST_PATH_PART = r"[a-z0-9]+(?:(?:_|__|-+)[a-z0-9]+)*"
# A first component is a host when it holds '.' or ':' or a capital (or is localhost).
_BRACKETED = r"\[[0-9a-fA-F:]+\]:[0-9]+|\[[0-9a-fA-F]*[:A-F][0-9a-fA-F:]*\]"
_NUMBER = r"(?:0|[1-9][0-9]*)"

DNS_LABEL_FAST = dns_label_fast(63)
LABEL_VALUE_FAST = Fast(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?", exact=True, max_length=63)
LABEL_KEY_FAST = Fast(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?", max_length=63)  # keys without a prefix
BRANCH_FAST = Fast(r"[a-z0-9_][a-z0-9_-]*(?:/[a-z0-9_][a-z0-9_-]*)*")
RELATIVE_PATH_FAST = Fast(rf"(?:\.|{_SEGMENT})(?:/(?:\.|{_SEGMENT}))*")
BUILD_PATH_FAST = Fast(rf"(?:\.\.?|{_SEGMENT})(?:/(?:\.\.?|{_SEGMENT}))*")
WATCH_GLOB_FAST = Fast(rf"(?:\.\.?|{_GLOB_SEGMENT})(?:/(?:\.\.?|{_GLOB_SEGMENT}))*")
FILE_NAME_FAST = Fast(_SEGMENT)
ONE_LINE_FAST = Fast(rf"[^{_BREAK}]*[^{_BREAK}{_SPACE}][^{_BREAK}]*", exact=True)
ENCRYPTED_FAST = Fast(r"[A-Za-z0-9+/]{40,}={0,2}", exact=True)
VALUE_PATH_FAST = Fast(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*", exact=True)
SECRET_NAME_FAST = Fast(r"[A-FH-Za-fh-z_][A-Za-z0-9_]*")  # not starting with a G: never GITHUB_
RUNNER_LABEL_FAST = Fast(r"[A-Za-z0-9][A-Za-z0-9._-]*", exact=True, max_length=100)
CI_IMAGE_FAST = Fast(r"[A-Za-z0-9][A-Za-z0-9._/:@-]*", exact=True, max_length=255)
IMAGE_TAG_FAST = Fast(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", exact=True, max_length=128)
CHART_NAME_FAST = Fast(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?", exact=True)
CHART_VERSION_FAST = Fast(
    rf"v?{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?", exact=True
)
SERVER_URL_FAST = Fast(rf"https?://[^/@{_SPACE}]+(?:/[^{_SPACE}]*)?", exact=True)
IMAGE_REPOSITORY_FAST = Fast(
    rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?|{_BRACKETED}|{_FIRST_PATH_PART})"
    rf"(?:/{_PATH_PART})+|{_PATH_PART}",
    exact=True,
    max_length=255,
)
# Without credentials by construction: a user name of letters, digits and dots is no token.
GIT_URL_FAST = Fast(
    r"(?:ssh|https)://(?:[A-Za-z0-9.]{1,31}@)?[A-Za-z0-9.:-]+/[!-~]*|file://[A-Za-z0-9.:-]*/[!-~]*"
    r"|(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:[!-.0-~][!-~]*"
)
