"""The fast patterns of the name rules (names.Fast) against the rules themselves.

The model accepts a value its fast pattern matches without asking the rule, so a
pattern may only match values the rule accepts; an exact one (carried by the JSON
Schema for editors) matches all of them. Matching is decided by pydantic-core's
regex engine, so every test asks that engine, and the schema's patterns are also
run by node's (ECMA-262, what editors use).
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import SchemaValidator, core_schema

from conftest import REPO_ROOT
from shipspec.errors import InvalidSpec
from shipspec.spec import model, names
from shipspec.spec.loader import parse_document
from shipspec.spec.validation import validate
from tools import require_tool

Check = Callable[[str], "str | None"]


def _rules_in(annotation: Any) -> Iterator[Any]:
    for arg in get_args(annotation):
        if isinstance(arg, model._Rule):
            yield arg
        else:
            yield from _rules_in(arg)


def model_rules() -> dict[str, Any]:
    """Every rule of the model with a fast pattern, by the name of its check."""
    found: dict[str, Any] = {}
    models = [m for m in vars(model).values() if isinstance(m, type) and issubclass(m, BaseModel)]
    for cls in models:
        for field in cls.model_fields.values():
            for rule in [*_rules_in(field.annotation), *(m for m in field.metadata if isinstance(m, model._Rule))]:
                if rule.fast is not None:
                    found[rule.check.__name__] = rule
    return found


RULES = model_rules()
EXACT = sorted(name for name, rule in RULES.items() if rule.fast.exact)


class Matcher:
    """One fast pattern as pydantic-core matches it, and its rule."""

    def __init__(self, rule: Any) -> None:
        fast = rule.fast
        self.check: Check = rule.check
        self.exact: bool = fast.exact
        self.pattern: str = fast.pattern
        self._one = SchemaValidator(
            core_schema.str_schema(pattern=fast.anchored, max_length=fast.max_length, strict=True)
        )
        self._many = SchemaValidator(core_schema.list_schema(
            core_schema.str_schema(pattern=fast.anchored, max_length=fast.max_length, strict=True)
        ))

    def matches(self, value: str) -> bool:
        try:
            self._one.validate_python(value)
        except ValidationError:
            return False
        return True

    def matching(self, values: list[str]) -> list[bool]:
        try:
            self._many.validate_python(values)
        except ValidationError as exc:
            refused = {error["loc"][0] for error in exc.errors()}
            return [i not in refused for i in range(len(values))]
        return [True] * len(values)

    def agrees(self, value: str) -> None:
        accepted = self.check(value) is None
        if self.matches(value):
            assert accepted, f"{self.check.__name__}: the fast pattern matches {value!r}, which the rule refuses"
        elif self.exact:
            assert not accepted, f"{self.check.__name__}: the exact pattern refuses {value!r}, which the rule accepts"


MATCHERS = {name: Matcher(rule) for name, rule in RULES.items()}

# What the rules care about: separators, case, digits, blanks of every kind, brackets, and a few
# characters outside ASCII (a letter, a non-breaking space, a line separator, an emoji).
ALPHABET = "aZz09-_./:@[]~+= \t\n\x7f\x85\xa0\u2028\u3000é😀{}\\#?*!%"
SHORT = "aA0-_./:@[] \té"


def test_every_rule_with_a_fast_pattern_is_tested() -> None:
    assert set(RULES) >= {
        "dns_label", "_app_name", "label_value", "label_key", "branch", "relative_path", "build_path", "file_name",
        "one_line", "encrypted", "value_path", "secret_name", "watch_glob", "image_repository", "git_url",
        "server_url", "image_tag", "runner_label", "ci_image", "chart_name", "chart_version",
    }


@pytest.mark.parametrize("name", sorted(RULES))
def test_short_strings_exhaustively(name: str) -> None:
    fast = MATCHERS[name]
    values = ["".join(p) for n in range(5) for p in itertools.product(SHORT, repeat=n)]
    for value, matched in zip(values, fast.matching(values)):
        accepted = fast.check(value) is None
        assert not matched or accepted, f"{name}: matches {value!r}, which the rule refuses"
        assert matched or not accepted or not fast.exact, f"{name}: refuses {value!r}, which the rule accepts"


def _strings(name: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.from_regex(re.compile(MATCHERS[name].pattern), fullmatch=True),
        st.text(alphabet=ALPHABET, max_size=40),
        st.text(max_size=20),
    )


@pytest.mark.parametrize("name", sorted(RULES))
@given(data=st.data())
def test_fast_pattern_agrees_with_its_rule(name: str, data: st.DataObject) -> None:
    MATCHERS[name].agrees(data.draw(_strings(name)))


@pytest.mark.parametrize("name", sorted(RULES))
@given(data=st.data())
def test_model_decides_as_the_rule(name: str, data: st.DataObject) -> None:
    """Whoever decides (the pattern or the rule), the model accepts what the rule accepts and
    refuses the rest with one error whose message is the rule's reason."""
    rule = RULES[name]
    value = data.draw(_strings(name))
    reason = rule.check(value)
    adapter = TypeAdapter(Annotated[str, rule])
    try:
        assert adapter.validate_python(value) == value
    except ValidationError as exc:
        [error] = exc.errors()
        assert error["type"] == model.RULE_ERROR
        assert reason is not None
        assert (model.NAME_RULES[error["ctx"]["rule"]](value) if "ctx" in error else error["msg"]) == reason
    else:
        assert reason is None


def test_classes_spell_pythons_whitespace_and_line_breaks() -> None:
    every = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    space = re.compile(f"[{names._SPACE}]")
    assert [c for c in every if space.fullmatch(c)] == [c for c in every if c.isspace()]
    breaks = re.compile(f"[{names._BREAK}]")
    assert [c for c in every if breaks.fullmatch(c)] == [c for c in every if re.search(names._BREAKS_LINE, c)]


@pytest.mark.parametrize("name", ["one_line", "server_url"])
def test_every_character(name: str) -> None:
    """The patterns with classes beyond ASCII, on every code point (but lone surrogates, which YAML
    cannot carry: pydantic-core refuses them before the pattern, and the rule then decides)."""
    fast = MATCHERS[name]
    every = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    shapes = {"one_line": ["{}", "a{}", "{} "], "server_url": ["https://h{}/", "https://h/{}", "http://{}"]}[name]
    for shape in shapes:
        values = [shape.format(c) for c in every]
        for value, matched in zip(values, fast.matching(values)):
            assert matched == (fast.check(value) is None), f"{name}: {value!r}"


IMAGES = [
    "nginx", "library/nginx", "docker.io/library/nginx", "registry.example.com:5000/team/sub/app",
    "localhost:5000/app", "localhost/app", "[::1]:5000/app", "[2001:db8::1]/app", "a_b.c/d", "a.b/c", "A/b",
    "a-b--c/d", "my_org/my__app", "MyApp", "myrepo/myapp:1.0", "a//b", "a/b/", "/a", "a/.b", "a/b__-c", "x" * 255,
    "x" * 256, "a/" + "b" * 253, "a.b", "a_b", "a__b", "a___b", "a._b", "localhost", "ab:12/c", "a:/b", "[::1]/a/B",
    "-a/b", "a-/b",
]
GIT_URLS = [
    "git@github.com:org/charts.git", "ssh://git@github.com/org/charts.git", "https://github.com/org/charts.git",
    "file:///srv/charts", "file://host/srv", "https://user:pw@host/x", "https://ghp_abc@host/x",
    "https://" + "u" * 32 + "@h/x", "https://" + "u" * 31 + "@h/x", "host:path", "host://x", "https:/x",
    "https://host", "h:/x", "h://x", "a@b@h:/x", "ssh://@/x", "https:///x", "glpat-x@h:p", "x@h:p q",
    "git@github.com:/org/x",
]


@pytest.mark.parametrize(
    ("name", "value"), [*(("image_repository", v) for v in IMAGES), *(("git_url", v) for v in GIT_URLS)]
)
def test_known_shapes(name: str, value: str) -> None:
    MATCHERS[name].agrees(value)


def test_an_invalid_value_reads_as_before_wherever_it_is() -> None:
    """A refused value is reported with the rule's words at its own place, in a list, a mapping key
    and an optional field alike."""
    text = """apiVersion: shipspec/v1
kind: App
name: My_App
team: "-x"
image:
  repository: Team/App
charts:
  repo: not a url
argocd:
  labels: {"-bad": ok}
  syncOptions: ["a", "  "]
environments:
  - name: dev
    namespace: "Dev"
branches:
  "a..b": {deploy: [dev]}
"""
    with pytest.raises(InvalidSpec) as caught:
        validate(parse_document(text.encode(), "shipspec.yaml"))
    assert [str(p) for p in caught.value.problems] == [
        "shipspec.yaml:3:7: name: " + (names.dns_label("My_App", 53) or ""),
        "shipspec.yaml:4:7: team: " + (names.label_value("-x") or ""),
        "shipspec.yaml:6:15: image.repository: " + (names.image_repository("Team/App") or ""),
        "shipspec.yaml:8:9: charts.repo: " + (names.git_url("not a url") or ""),
        "shipspec.yaml:10:12: argocd.labels[\"-bad\"]: " + (names.label_key("-bad") or ""),
        "shipspec.yaml:11:22: argocd.syncOptions[1]: " + (names.one_line("  ") or ""),
        "shipspec.yaml:14:16: environments[0].namespace: " + (names.dns_label("Dev") or ""),
        "shipspec.yaml:16:3: branches[\"a..b\"]: " + (names.branch("a..b") or ""),
    ]


def _schema_patterns(node: Any) -> Iterator[tuple[str, int | None]]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"], node.get("maxLength")
        for child in node.values():
            yield from _schema_patterns(child)
    elif isinstance(node, list):
        for child in node:
            yield from _schema_patterns(child)


def test_schema_patterns_are_the_exact_ones() -> None:
    schema = json.loads((REPO_ROOT / "schemas" / "shipspec.schema.json").read_text(encoding="utf-8"))
    assert set(_schema_patterns(schema)) == {(RULES[name].fast.anchored, RULES[name].fast.max_length) for name in EXACT}


SAMPLE = st.lists(st.text(alphabet=ALPHABET, max_size=30), max_size=100)


@settings(max_examples=5)
@given(data=st.data())
def test_schema_patterns_read_alike_in_ecma_262(data: st.DataObject) -> None:
    """Editors compile a schema's `pattern` with JavaScript's RegExp (with the `u` flag, or without when
    that fails): each exact pattern compiles both ways and matches as pydantic-core does."""
    node = require_tool("node")
    short = ["".join(p) for n in range(3) for p in itertools.product(SHORT, repeat=n)]
    cases = {
        name: [*short, *IMAGES, *GIT_URLS, *data.draw(SAMPLE), *data.draw(st.lists(
            st.from_regex(re.compile(MATCHERS[name].pattern), fullmatch=True), max_size=50
        ))]
        for name in EXACT
    }
    script = """
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {};
for (const [name, [pattern, samples]] of Object.entries(cases)) {
  out[name] = ['u', ''].map(flags => samples.map(s => new RegExp(pattern, flags).test(s)));
}
process.stdout.write(JSON.stringify(out));
"""
    payload = {name: [RULES[name].fast.anchored, values] for name, values in cases.items()}
    result = subprocess.run([node, "-e", script], input=json.dumps(payload), capture_output=True, text=True,
                            check=True)
    found = json.loads(result.stdout)
    for name, values in cases.items():
        limit = RULES[name].fast.max_length
        expected = MATCHERS[name].matching(values)
        for flags, matched in zip(("u", ""), found[name]):
            js = [m and (limit is None or len(v) <= limit) for m, v in zip(matched, values)]
            wrong = [v for v, a, b in zip(values, js, expected) if a != b]
            assert not wrong, f"{name} (flags {flags!r}): {wrong[:5]}"
