"""A thin typed wrapper over the real `git` CLI.

Every call runs non-interactively (no credential prompt can hang a CI job),
in the C locale (so git's messages can be classified), with a timeout, and
every failure becomes an OperationFailed whose message is redacted and says
what to do next.
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..errors import OperationFailed
from ..redact import redact, register

TIMEOUT_SECONDS = 300
_HINTS = (
    (re.compile(r"remote branch .* not found|couldn't find remote ref", re.I),
     "the branch does not exist in the charts repo: create it, or fix charts.branch in the spec"),
    (re.compile(r"authentication failed|could not read (username|password)|permission denied|"
                r"terminal prompts disabled|invalid username or password|returned error: 40[13]", re.I),
     "authentication failed: check the SSH key or token git uses for the charts repo"),
    (re.compile(r"repository .* not found|does not appear to be a git repository|returned error: 404", re.I),
     "the charts repo was not found: check charts.repo in the spec and the access rights of this job"),
    (re.compile(r"could not resolve host|connection (refused|reset|timed out)|network is unreachable|"
                r"timed out|unable to access|early eof", re.I),
     "a network problem reached the charts repo: retry the job"),
)
# `git push --porcelain` status lines: flag, refspec, summary.
_STATUS = re.compile(r"^(?P<flag>[ +\-*=!])\t(?P<ref>\S+)\t(?P<summary>.*)$", re.M)
# Rejections a fetch-and-retry cures: someone else pushed first, or held the ref lock.
_RETRYABLE = re.compile(r"fetch first|non-fast-forward|stale info|lock|failed to update ref|"
                        r"incorrect old value|but expected", re.I)


class GitError(OperationFailed):
    """A git command that failed; the message is redacted and carries a hint."""

    def __init__(self, action: str, output: str) -> None:
        detail = redact(_last_lines(output))
        hint = next((text for pattern, text in _HINTS if pattern.search(output)), None)
        message = f"git {action} failed" + (f": {detail}" if detail else "")
        super().__init__(message + (f"\n  hint: {hint}" if hint else ""))


@dataclass(frozen=True)
class PushResult:
    """A push that landed, or one the remote refused because it moved: fetch, re-apply, push again."""

    ok: bool
    detail: str


def _last_lines(text: str, count: int = 4) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:])


TOKEN_VARIABLES = ("SHIPSPEC_CHARTS_TOKEN", "GITHUB_TOKEN")  # the first one set is the charts repo's token
TOKEN_USER = "x-access-token"
_PASSWORD_VARIABLE = "SHIPSPEC_GIT_PASSWORD"
# git runs this helper itself; it reads the token from the environment of that one git process,
# so the token is in no URL, no argument, no config file and no file of the clone.
_HELPER = f'!f() {{ test "$1" = get && printf "username={TOKEN_USER}\\npassword=%s\\n" "${_PASSWORD_VARIABLE}"; }}; f'


def charts_token() -> str | None:
    """The token CI hands promote for the charts repo: SHIPSPEC_CHARTS_TOKEN, else GITHUB_TOKEN."""
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            register(value)
            return value
    return None


def https_url(url: str) -> str:
    """The HTTPS form of a git URL, for a token: scp-like and ssh:// URLs become https://<host>/<path>."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme in ("ssh", "git+ssh", "ssh+git"):
        return f"https://{parsed.hostname}{parsed.path}"
    if "://" not in url and ":" in url:  # scp-like: [user@]host:path
        host, _, path = url.partition(":")
        return f"https://{host.rpartition('@')[2]}/{path.lstrip('/')}"
    return url


def charts_remote(repo: str, override: str | None = None) -> tuple[str, str | None]:
    """(URL, token) to reach the charts repo: `override` (--charts-url) or `repo`, in its HTTPS form
    when CI set a token; without one, git's own setup (an SSH deploy key) answers for `repo`."""
    token = charts_token()
    return override or (https_url(repo) if token else repo), token


def environment(token: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C")
    if token:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
        # An empty helper first resets the helpers of the user's config: only the token answers.
        for index, value in enumerate(("", _HELPER), start=count):
            env[f"GIT_CONFIG_KEY_{index}"], env[f"GIT_CONFIG_VALUE_{index}"] = "credential.helper", value
        env["GIT_CONFIG_COUNT"] = str(count + 2)
        env[_PASSWORD_VARIABLE] = token
    return env


class Repo:
    """A working tree shipspec drives with git subcommands."""

    def __init__(self, path: Path, token: str | None = None) -> None:
        self.path = path
        self.token = token  # handed to git through its credential helper, never stored

    def run(self, *args: str, action: str | None = None, check: bool = True,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """`git ARGS`; `stdin` is its standard input (none by default: git never waits on a prompt)."""
        feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.path, env=environment(self.token), capture_output=True, text=True,
                timeout=TIMEOUT_SECONDS, **feed,
            )
        except subprocess.TimeoutExpired:
            raise GitError(action or args[0], f"timed out after {TIMEOUT_SECONDS}s") from None
        except FileNotFoundError:
            raise OperationFailed("git is not installed or not on PATH") from None
        if check and done.returncode != 0:
            raise GitError(action or args[0], done.stderr + done.stdout)
        return done

    def output(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def config(self, key: str) -> str | None:
        done = self.run("config", "--get", key, check=False)
        return (done.stdout.strip() or None) if done.returncode == 0 else None

    def resolve(self, revision: str) -> str | None:
        """The full sha of a commit, or None when this history does not know it."""
        done = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}", check=False)
        return (done.stdout.strip() or None) if done.returncode == 0 else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        done = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        if done.returncode > 1:
            raise GitError("merge-base", done.stderr)
        return done.returncode == 0

    def log_oneline(self, old: str, new: str, limit: int) -> list[str]:
        return self.output("log", "--oneline", "--no-decorate", f"--max-count={limit}", f"{old}..{new}").splitlines()

    def fetch(self, branch: str, *, depth: int = 1) -> str:
        """Fetch `branch` from origin; return the sha it points to."""
        self.run("fetch", "--quiet", "--no-tags", f"--depth={depth}", "origin",
                 f"refs/heads/{branch}", action=f"fetch of branch {branch}")
        return self.output("rev-parse", "FETCH_HEAD")

    def remote_head(self, branch: str) -> str | None:
        """The sha `branch` points to on origin, or None when it does not exist."""
        line = self.output("ls-remote", "--heads", "origin", f"refs/heads/{branch}")
        return line.split()[0] if line else None

    def reset_hard(self, revision: str) -> None:
        self.run("reset", "--quiet", "--hard", revision)

    def show_file(self, revision: str, path: str) -> str | None:
        done = self.run("show", f"{revision}:{path}", check=False)
        return done.stdout if done.returncode == 0 else None

    def commit(self, message: str, paths: list[str], identity: dict[str, str]) -> bool:
        """Commit `paths`; False when they hold no change."""
        self.run("add", "--", *paths)
        if self.run("diff", "--cached", "--quiet", check=False).returncode == 0:
            return False
        config = [arg for key, value in identity.items() for arg in ("-c", f"{key}={value}")]
        self.run(*config, "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", message)
        return True

    def push(self, refspec: str, *, lease: tuple[str, str] | None = None) -> PushResult:
        """Push one refspec; a rejection the remote may lift on retry is reported, not raised."""
        args = ["push", "--porcelain", "origin", refspec]
        if lease:
            args.insert(2, f"--force-with-lease={lease[0]}:{lease[1]}")
        done = self.run(*args, check=False)
        statuses = list(_STATUS.finditer(done.stdout))
        if done.returncode == 0 and statuses and all(s["flag"] != "!" for s in statuses):
            return PushResult(True, statuses[0]["summary"])
        text = done.stdout + done.stderr
        rejected = [s["summary"] for s in statuses if s["flag"] == "!"]
        if rejected and all(_RETRYABLE.search(summary) for summary in rejected):
            return PushResult(False, redact("; ".join(rejected)))
        raise GitError("push", text)


def clone(url: str, destination: Path, branch: str, *, token: str | None = None, depth: int | None = 1) -> Repo:
    """Clone one branch of `url` into `destination` (shallow unless `depth` is None); `token`
    authenticates over HTTP(S)."""
    shallow = [f"--depth={depth}"] if depth else []
    Repo(destination.parent, token).run(
        "clone", "--quiet", *shallow, "--single-branch", "--no-tags", f"--branch={branch}",
        "--", url, str(destination), action=f"clone of branch {branch}",
    )
    return Repo(destination, token)


def toplevel(directory: Path) -> Repo | None:
    """The git repository `directory` belongs to, or None."""
    done = Repo(directory).run("rev-parse", "--show-toplevel", check=False)
    return Repo(Path(done.stdout.strip())) if done.returncode == 0 else None
