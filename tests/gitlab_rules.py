"""An evaluator of GitLab CI `rules:if` expressions, for the subset shipspec emits and GitLab documents.

Grammar (docs.gitlab.com/ci/jobs/job_rules, "CI/CD variable expressions"):
    expr    := and ('||' and)*            && binds tighter than ||
    and     := compare ('&&' compare)*
    compare := operand (('==' | '!=' | '=~' | '!~') operand)?
    operand := $VARIABLE | "string" | 'string' | /regex/flags | null | '(' expr ')'
A variable alone is true when it is defined and not empty; an undefined
variable compares equal to null only; `=~` matches a regex (RE2 in GitLab,
Python's re here, with RE2's \\x{HHHH} escape translated).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_TOKEN = re.compile(r"""\s*(?:(?P<var>\$[A-Za-z_][A-Za-z0-9_]*)|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'"""
                    r"""|/(?P<re>(?:[^/\\]|\\.)*)/(?P<flags>[im]*)|(?P<null>null)\b|(?P<op>==|!=|=~|!~|&&|\|\||\(|\)))""")


class Regex(str):
    flags: str = ""


def tokens(text: str) -> list[tuple[str, Any]]:
    found, position = [], 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read {text[position:]!r} in {text!r}")
        position = match.end()
        kind = next(name for name in ("var", "dq", "sq", "re", "null", "op") if match[name] is not None)
        if kind == "re":
            regex = Regex(re.sub(r"\\x\{([0-9a-fA-F]+)\}", lambda m: re.escape(chr(int(m[1], 16))), match["re"]))
            regex.flags = match["flags"]
            found.append(("re", regex))
        elif kind in ("dq", "sq"):
            found.append(("str", match[kind]))
        else:
            found.append((kind, match[kind]))
    return found


def evaluate(text: str, variables: Mapping[str, str]) -> bool:
    """Whether `rules: - if: <text>` matches with these (defined) variables."""
    parser = _Parser(tokens(text), variables)
    value = parser.disjunction()
    if parser.position != len(parser.tokens):
        raise ValueError(f"unexpected {parser.tokens[parser.position]} in {text!r}")
    return bool(value)


class _Parser:
    def __init__(self, found: list[tuple[str, Any]], variables: Mapping[str, str]) -> None:
        self.tokens, self.variables, self.position = found, variables, 0

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, Any]:
        token = self._peek()
        if token is None:
            raise ValueError("unexpected end of expression")
        self.position += 1
        return token

    def disjunction(self) -> bool:
        value = self.conjunction()
        while self._peek() == ("op", "||"):
            self._take()
            right = self.conjunction()
            value = value or right
        return value

    def conjunction(self) -> bool:
        value = self.comparison()
        while self._peek() == ("op", "&&"):
            self._take()
            right = self.comparison()
            value = value and right
        return value

    def comparison(self) -> bool:
        left = self.operand()
        token = self._peek()
        if token is None or token[0] != "op" or token[1] not in ("==", "!=", "=~", "!~"):
            return left if isinstance(left, bool) else bool(left)  # a variable alone: defined and not empty
        operator = self._take()[1]
        right = self.operand()
        if operator in ("==", "!="):
            return (left == right) == (operator == "==")
        if not isinstance(right, Regex):
            raise ValueError("=~ needs a /regex/ on its right")
        flags = re.IGNORECASE if "i" in right.flags else 0
        matched = left is not None and re.search(right, left, flags) is not None
        return matched == (operator == "=~")

    def operand(self) -> Any:
        kind, value = self._take()
        if kind == "var":
            return self.variables.get(value[1:])
        if kind == "null":
            return None
        if kind == "op" and value == "(":
            inner = self.disjunction()
            if self._take() != ("op", ")"):
                raise ValueError("missing )")
            return inner
        if kind in ("str", "re"):
            return value
        raise ValueError(f"unexpected {value!r}")


def first_match(rules: Sequence[Mapping[str, str]], variables: Mapping[str, str]) -> Mapping[str, str] | None:
    """The rule that decides (the first whose `if` matches, or that has none); None when none matches."""
    return next((rule for rule in rules if "if" not in rule or evaluate(rule["if"], variables)), None)


def included(rules: Sequence[Mapping[str, str]], variables: Mapping[str, str]) -> bool:
    """Whether a job (or, for `workflow:rules`, the pipeline) is created."""
    rule = first_match(rules, variables)
    return rule is not None and rule.get("when", "on_success") != "never"


# ---------------------------------------------------------------------------------------------------
# rules:changes and rules:exists (docs.gitlab.com/ci/yaml/#ruleschanges, #rulesexists). GitLab matches
# each glob with Ruby's File.fnmatch?(glob, path, File::FNM_PATHNAME | File::FNM_DOTMATCH |
# File::FNM_EXTGLOB) (gitlab lib/gitlab/ci/build/rules/rule/clause/changes.rb, after expanding the
# variables in the glob): `*` and `?` never cross `/`, `**/` is zero or more folders, `{a,b}`
# alternatives, `[...]` a class, dot files match like any other.


def fnmatch_regex(glob: str) -> str:
    """Ruby's File.fnmatch with FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB, as a Python regex."""
    out, i = "", 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out += "(?:[^/]*/)*"
            i += 3
            continue
        char = glob[i]
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "\\" and i + 1 < len(glob):
            i += 1
            out += re.escape(glob[i])
        elif char == "[":
            end = glob.find("]", i + 2)
            if end < 0:
                out += re.escape(char)
            else:
                body = glob[i + 1:end]
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = end
        elif char == "{":
            depth, j = 0, i
            while j < len(glob):
                depth += {"{": 1, "}": -1}.get(glob[j], 0)
                if depth == 0:
                    break
                j += 1
            if j >= len(glob):
                out += re.escape(char)
            else:
                out += "(?:" + "|".join(fnmatch_regex(part) for part in _split_braces(glob[i + 1:j])) + ")"
                i = j
        else:
            out += re.escape(char)
        i += 1
    return out


def _split_braces(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(body):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(body[start:index])
            start = index + 1
    return [*parts, body[start:]]


def fnmatch(glob: str, path: str) -> bool:
    return re.fullmatch(fnmatch_regex(glob), path) is not None


def expand(text: str, variables: Mapping[str, str]) -> str:
    """`$VAR` and `${VAR}` replaced by their values; unknown ones are left as written (GitLab's
    ExpandVariables.expand_existing, used for `changes` and `exists` globs)."""
    return re.sub(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))",
                  lambda m: variables.get(m[1] or m[2], m[0]), text)


def rule_matches(rule: Mapping[str, Any], variables: Mapping[str, str], *,
                 modified: Sequence[str] | None, files: Sequence[str],
                 modified_since: Any = None) -> bool:
    """Whether every clause of one rule holds ("rules are evaluated in order until the first match";
    a rule with several clauses matches when all of them do).

    `modified`: the paths the pipeline changed, or None when GitLab cannot tell ("For new branch
    pipelines or when there is no Git push event, rules: changes always evaluates to true"); `files`:
    every path of the commit (for `exists`); `modified_since(ref)`: the paths changed between the merge
    base of `ref` and the pipeline's commit, for `changes:compare_to` (GitLab's
    Ci::Pipeline#modified_paths_since diffs from repository.merge_base(compare_to_sha, sha))."""
    if "if" in rule and not evaluate(rule["if"], variables):
        return False
    if "changes" in rule:
        changes = rule["changes"]
        globs = changes.get("paths", []) if isinstance(changes, Mapping) else changes
        compare_to = changes.get("compare_to") if isinstance(changes, Mapping) else None
        if compare_to is not None:
            if modified_since is None:
                raise ValueError("changes:compare_to needs modified_since")
            paths = modified_since(expand(compare_to, variables))
        else:
            paths = modified
        if paths is not None:
            globs = [expand(glob, variables) for glob in globs]
            if not any(fnmatch(glob, path) for path in paths for glob in globs):
                return False
    if "exists" in rule:
        exists = rule["exists"]
        globs = exists.get("paths", []) if isinstance(exists, Mapping) else exists
        globs = [expand(glob, variables) for glob in globs]
        if not any(fnmatch(glob, path) for path in files for glob in globs):
            return False
    return True


def decide(rules: Sequence[Mapping[str, Any]], variables: Mapping[str, str], *,
           modified: Sequence[str] | None = None, files: Sequence[str] = (),
           modified_since: Any = None) -> Mapping[str, Any] | None:
    """The first rule whose clauses all hold, or None (the job, or the pipeline, is not created)."""
    return next((rule for rule in rules if rule_matches(rule, variables, modified=modified, files=files,
                                                         modified_since=modified_since)), None)
