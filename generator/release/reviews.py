"""Choose the review client of a spec's charts repo: GitHub or GitLab, as `charts.review` says."""

from __future__ import annotations

from ..spec.model import Spec
from . import github, gitlab
from .review import Review


def for_spec(spec: Spec) -> Review:
    """The review client of the spec's charts repo; OperationFailed when its token is not set."""
    if spec.charts.review == "gitlab":
        return gitlab.GitLab.from_environment(spec.charts.repo)
    return github.GitHub.from_environment(*github.repository_of(spec.charts.repo))


def has_token(spec: Spec) -> bool:
    """Whether `for_spec` would find a token: `status` asks the API only then."""
    module = gitlab if spec.charts.review == "gitlab" else github
    return bool(module.token_from_environment())
