"""What `shipspec affected` asks of the app repository's history, each question asked of git once.

Missing history (a shallow clone, a base this clone does not have, a new branch without one) is
never a reason to skip an app: it is noted (`notes`), and the caller counts the app as affected.
"""

from __future__ import annotations

from . import git


class History:
    """The app repository's answers, each asked of git once."""

    def __init__(self, repo: git.Repo, base: str | None) -> None:
        self.repo = repo
        self.base = base
        self.notes: list[str] = []
        self._since_base: list[str] | None | bool = False
        self._between: dict[str, list[str]] = {}
        self._commits: dict[str, str | None] = {}
        self._shallow: bool | None = None

    @property
    def base_name(self) -> str:
        return self.base or ""

    @property
    def shallow(self) -> bool:
        if self._shallow is None:
            self._shallow = self.repo.output("rev-parse", "--is-shallow-repository") == "true"
        return self._shallow

    def head_tag(self, length: int) -> str:
        return self.repo.output("rev-parse", f"--short={length}", "HEAD")  # as the Makefile's TAG

    def changed_since_base(self) -> list[str] | None:
        """Paths changed between the merge base of `base` and HEAD; None when the history cannot say."""
        if self._since_base is False:
            self._since_base = self._measure_base()
        return self._since_base  # type: ignore[return-value]

    def _measure_base(self) -> list[str] | None:
        if self.base is None or self.base.strip("0") == "":
            self.notes.append("no base commit to compare with (a new branch?): every app counts as affected")
            return None
        if self.repo.resolve(self.base) is None:
            self.notes.append(f"{self.base} is not in this history{self._why()}: every app counts as affected")
            return None
        done = self.repo.run("merge-base", "--end-of-options", self.base, "HEAD", check=False)
        if done.returncode != 0:
            self.notes.append(f"no merge base of {self.base} and HEAD in this history{self._why()}: "
                              "every app counts as affected")
            return None
        return self._diff(done.stdout.strip())

    def _why(self) -> str:
        return " (a shallow clone: fetch the full history, e.g. fetch-depth: 0 or GIT_DEPTH: 0)" if self.shallow else ""

    def commit_of(self, tag: str) -> str | None:
        if tag not in self._commits:
            found = self.repo.resolve(tag) if tag.split() == [tag] and not tag.startswith("-") else None
            if found is None and self.shallow:
                self.notes.append(f"tag {tag} is not in this shallow history: released again rather than guessed")
            self._commits[tag] = found
        return self._commits[tag]

    def changed_between(self, commit: str) -> list[str]:
        if commit not in self._between:
            self._between[commit] = self._diff(commit)
        return self._between[commit]

    def _diff(self, commit: str) -> list[str]:
        listed = self.repo.run("diff", "--name-only", "--no-renames", "-z", commit, "HEAD", "--").stdout
        return [path for path in listed.split("\0") if path]
