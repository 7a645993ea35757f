"""One JSON-over-HTTPS call with the standard library, for the review APIs (GitHub, GitLab).

Three endpoints per API do not justify a dependency. Every failure becomes an
OperationFailed whose text is redacted; an HTTP error keeps its status and
decoded body so each client can add the hint that fits its API.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .. import __version__
from ..errors import OperationFailed
from ..redact import redact

TIMEOUT_SECONDS = 30
MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class HttpFailure(OperationFailed):
    """The API answered with an HTTP error status."""

    def __init__(self, where: str, status: int, reason: str, data: Any) -> None:
        super().__init__(redact(f"{where}: HTTP {status}: {reason}"))
        self.where, self.status, self.reason, self.data = where, status, reason, data


class Unreachable(OperationFailed):
    """No HTTP answer at all (DNS, refused, timeout): worth another try later."""


def call(method: str, url: str, headers: dict[str, str], *, body: dict[str, Any] | None = None,
         where: str, root_variable: str) -> Any:
    """The decoded JSON answer of one request; `root_variable` names the setting to check when unreachable."""
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    for name, value in headers.items():
        request.add_header(name, value)
    request.add_header("User-Agent", f"shipspec/{__version__}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) root
            return json.loads(response.read(MAX_RESPONSE_BYTES) or b"null")
    except urllib.error.HTTPError as exc:
        raise HttpFailure(where, exc.code, str(exc.reason), _error_body(exc)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(redact(f"{where}: cannot reach the API ({reason}); "
                                     f"check {root_variable} and the network, then retry")) from None
    except ValueError:
        raise OperationFailed(redact(f"{where}: the answer is not JSON; check {root_variable}")) from None


def with_query(url: str, query: dict[str, str] | None) -> str:
    return url + ("?" + urllib.parse.urlencode(query) if query else "")


def quote(part: str) -> str:
    """`part` as one path segment: every `/` encoded too (GitLab's `group%2Fsub%2Fcharts`)."""
    return urllib.parse.quote(part, safe="")


def _error_body(error: urllib.error.HTTPError) -> Any:
    try:
        return json.loads(error.read(MAX_RESPONSE_BYTES))
    except (ValueError, OSError):
        return None
