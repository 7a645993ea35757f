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
