"""A small evaluator of the Travis conditions v1 subset shipspec's templates use.

Grammar (travis-ci/travis-conditions, lib/travis/conditions/v1/parser.rb):
`NOT` binds tighter than `AND`, which binds tighter than `OR`; terms are
`attr = value`, `attr != value`, `attr IN (v, ...)`, `attr IS [NOT] blank|present`
and `attr =~ regex`; values are words or '...'/"..." strings without escapes.
Anything else raises, so a template change the evaluator does not understand
fails the meaning tests instead of passing them by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(
    r"""\s*(?:(?P<open>\()|(?P<close>\))|(?P<comma>,)|(?P<op>=~|!=|==|=)"""
    r"""|'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|(?P<word>[^\s()"',=!]+))"""
)
ATTRIBUTES = {"type", "branch", "tag", "repo", "fork", "head_branch", "sender", "commit_message"}


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = re.sub(r"\\\s*[\r\n]", " ", text)
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ValueError(f"cannot tokenize {text[pos:]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append(("str" if kind in {"sq", "dq"} else kind, value))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, data: Mapping[str, str]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.data = data

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1].upper() != value):
            raise ValueError(f"expected {value or kind} at token {self.pos}, got {token}")
        self.pos += 1
        return token[1]

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() == word:
            self.pos += 1
            return True
        return False

    def expr(self) -> bool:
        result = self.conjunction()
        while self.keyword("OR"):
            result = self.conjunction() or result
        return result

    def conjunction(self) -> bool:
        result = self.negation()
        while self.keyword("AND"):
            result = self.negation() and result
        return result

    def negation(self) -> bool:
        if self.keyword("NOT"):
            return not self.negation()
        if self.peek() == ("open", "("):
            self.take("open")
            result = self.expr()
            self.take("close")
            return result
        return self.term()

    def term(self) -> bool:
        word = self.take("word")
        if word in {"true", "false"}:
            return word == "true"
        if word.lower() not in ATTRIBUTES:
            raise ValueError(f"unknown attribute {word!r}")
        actual = self.data.get(word.lower(), "")
        if self.keyword("IS"):
            negate = self.keyword("NOT")
            predicate = self.take("word").lower()
            if predicate not in {"blank", "present"}:
                raise ValueError(f"unsupported predicate {predicate!r}")
            return (actual == "") == (predicate == "blank") != negate
        negate_in = self.keyword("NOT")
        if self.keyword("IN"):
            return (actual in self.values()) != negate_in
        op = self.take("op")
        if op == "=~":
            return re.search(self.take("word"), actual) is not None
        value = self.value()
        return (actual == value) == (op in {"=", "=="})

    def values(self) -> list[str]:
        self.take("open")
        items = [self.value()]
        while self.peek() == ("comma", ","):
            self.take("comma")
            items.append(self.value())
        self.take("close")
        return items

    def value(self) -> str:
        token = self.peek()
        if token is None or token[0] not in {"word", "str"}:
            raise ValueError(f"expected a value, got {token}")
        self.pos += 1
        return token[1]


def evaluate(condition: str, data: Mapping[str, str]) -> bool:
    """Whether `condition` holds for a build with attributes `data` (type, branch, tag...)."""
    parser = _Parser(condition, data)
    result = parser.expr()
    if parser.peek() is not None:
        raise ValueError(f"trailing tokens in {condition!r}: {parser.tokens[parser.pos:]}")
    return result
