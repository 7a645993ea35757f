"""The body of a release pull request: what it changes and which app commits it ships."""

from __future__ import annotations

from . import git

MAX_COMMITS = 50


def pull_request_body(app: str, env: str, tag: str, current: str | None, app_repo: git.Repo | None,
                      *, rollback: bool = False) -> str:
    """Markdown for the pull request releasing `tag` of `app` to `env` (which runs `current`)."""
    since = f" (it runs `{current}` now)" if current else ""
    if rollback:
        lines = [f"Rolls {env} of {app} back to `{tag}`{since}, with the configuration of that commit.", ""]
        lines += _commits(current, tag, app_repo) if current else []
    else:
        lines = [f"Releases `{tag}` of {app} to {env}{since}.", ""]
        lines += _commits(tag, current, app_repo)
    lines += ["", "Opened by `shipspec promote`: a newer release to this environment updates this pull request."]
    return "\n".join(lines) + "\n"


def _commits(tag: str, current: str | None, app_repo: git.Repo | None) -> list[str]:
    if not current:
        return ["The environment runs no tag yet, so there is no list of commits."]
    if app_repo is None:
        return ["The commits are not listed: promote ran outside the app's git repository."]
    unknown = [t for t in (current, tag) if app_repo.resolve(t) is None]
    if unknown:
        return [f"The commits are not listed: {' and '.join(f'`{t}`' for t in unknown)} not in the app history "
                "this job has (shallow clone?)."]
    logged = app_repo.log_oneline(current, tag, MAX_COMMITS + 1)
    if not logged:
        return [f"No app commits between `{current}` and `{tag}`."]
    lines = [f"Commits since `{current}`:", ""] + [f"- {line}" for line in logged[:MAX_COMMITS]]
    if len(logged) > MAX_COMMITS:
        lines.append(f"- ... and more (`git log {current}..{tag}`)")
    return lines
