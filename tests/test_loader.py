"""The bounded YAML loader: structure errors, positions and resource bounds."""

from __future__ import annotations

import time

import pytest

from shipspec.errors import InvalidSpec, Problem
from shipspec.spec.loader import MAX_BYTES, parse_document


def problems(text: str | bytes) -> list[str]:
    raw = text.encode() if isinstance(text, str) else text
    try:
        doc = parse_document(raw, "s.yaml")
    except InvalidSpec as exc:
        return [str(p) for p in exc.problems]
    return [str(p) for p in doc.problems]


def test_positions_of_keys_and_values() -> None:
    doc = parse_document(b"a:\n  b: [1, {c: x}]\n", "s.yaml")
    assert doc.data == {"a": {"b": [1, {"c": "x"}]}}
    assert doc.keys[("a", "b")] == (2, 3)
    assert doc.values[("a", "b", 1, "c")] == (2, 14)
    assert doc.position(("a", "b", 1, "missing")) == (2, 10)


def test_duplicate_keys_reported_each_with_first_line() -> None:
    assert problems("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n") == [
        "s.yaml:4:3: b.c: duplicate key (first defined on line 3)",
        "s.yaml:5:1: a: duplicate key (first defined on line 1)",
    ]


def test_duplicate_key_keeps_first_value() -> None:
    assert parse_document(b"a: 1\na: 2\n", "s.yaml").data == {"a": 1}


def test_multiple_documents() -> None:
    assert problems("a: 1\n---\nb: 2\n") == ["s.yaml:2:1: a spec is a single YAML document; remove the second one"]


@pytest.mark.parametrize("text", ["- a\n", "hello\n", "42\n", "---\n"])
def test_non_mapping_top_level(text: str) -> None:
    (message,) = problems(text)
    assert message.endswith("the top level must be a mapping of fields") and message.startswith("s.yaml:")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "  \n"])
def test_empty_file(text: str) -> None:
    assert problems(text) == ["s.yaml:1:1: empty file; a spec needs at least apiVersion, kind, name, image and charts"]


def test_invalid_utf8_has_line_and_column() -> None:
    assert problems(b"a: 1\nname: caf\xe9\n") == ["s.yaml:2:10: not valid UTF-8"]


def test_utf8_bom_and_unicode_values_are_fine() -> None:
    assert parse_document("\ufeffa: café ✓\n".encode(), "s.yaml").data == {"a": "café ✓"}


def test_nul_byte() -> None:
    assert problems(b"a: \x00\n") == ["s.yaml: contains a NUL byte; a spec is text"]


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_refused_quickly() -> None:
    start = time.process_time()
    (message,) = problems(billion_laughs())
    assert time.process_time() - start < 0.5
    assert "after expanding aliases" in message


def test_long_string_repeated_by_aliases_refused() -> None:
    big = "x" * 500_000
    refs = ", ".join(["*s"] * 40)
    start = time.process_time()
    (message,) = problems(f"s: &s {big}\nl: [{refs}]\n")
    assert time.process_time() - start < 0.5
    assert "MiB of text after expanding aliases" in message


def test_a_few_aliases_are_fine() -> None:
    doc = parse_document(b"a: &x {cpu: 1}\nb: *x\n", "s.yaml")
    assert doc.data == {"a": {"cpu": 1}, "b": {"cpu": 1}} and not doc.problems


def test_deep_nesting_refused() -> None:
    (message,) = problems("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nesting depth" in message or "nested deeper" in message
    (message,) = problems("".join("  " * i + f"k{i}:\n" for i in range(100)))
    assert message == "s.yaml: nested deeper than 64 levels"


def test_two_megabyte_file_refused_fast() -> None:
    raw = b"# padding\n" * (2 * 1024 * 1024 // 10)
    start = time.process_time()
    assert problems(raw) == [f"s.yaml: larger than {MAX_BYTES // 1024} KiB; a spec is a few KiB"]
    assert time.process_time() - start < 0.5


def test_file_just_under_the_limit_parses() -> None:
    raw = b"a: 1\n" + b"# padding line\n" * ((MAX_BYTES - 100) // 15)
    assert parse_document(raw, "s.yaml").data == {"a": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!python/object:os.system x\n", "s.yaml:1:4: a: YAML tag !!python/object:os.system is not supported"),
        ("a: !custom 3\n", "s.yaml:1:4: a: YAML tag !custom is not supported"),
        ("a: !!binary aGk=\n", "s.yaml:1:4: a: YAML tag !!binary is not supported"),
        ("a: !!set {x}\n", "s.yaml:1:4: a: YAML tag !!set is not supported"),
        ("a: !!omap [x: 1]\n", "s.yaml:1:4: a: YAML tag !!omap is not supported"),
    ],
)
def test_tags_refused(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_standard_tags_allowed() -> None:
    assert parse_document(b"a: !!str 5\nb: !!int '7'\n", "s.yaml").data == {"a": "5", "b": 7}


def test_merge_keys_refused_once() -> None:
    assert problems("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n") == [
        "s.yaml:3:3: other: merge keys (<<) are not supported; write the fields out"
    ]


@pytest.mark.parametrize(
    ("key", "read_as"), [("on", "true"), ("yes", "true"), ("No", "false"), ("1", "1"), ("~", "null"), ("1.5", "1.5")]
)
def test_non_string_keys(key: str, read_as: str) -> None:
    assert problems(f"{key}: x\n") == [f"s.yaml:1:1: key {key!r} is read by YAML as {read_as}, not a string (quote it)"]


def test_collection_key() -> None:
    assert problems("? [a]\n: 1\n") == ["s.yaml:1:3: a mapping key must be a plain string, not a collection"]


def test_dates_stay_text_and_yes_is_true() -> None:
    assert parse_document(b"d: 2024-01-02\ny: yes\n", "s.yaml").data == {"d": "2024-01-02", "y": True}


@pytest.mark.parametrize(
    ("text", "line_col"),
    [("a: [1, 2\n", "2:1"), ("a:\n\tb: 1\n", "2:1"), ('a: "x\n', "2:1"), ("a: 1\n b: 2\n", "2:3")],
)
def test_syntax_errors_are_located(text: str, line_col: str) -> None:
    (message,) = problems(text)
    assert message.startswith(f"s.yaml:{line_col}: invalid YAML: ")


def test_problem_text_format() -> None:
    problem = Problem("x.yaml", 3, 5, ("environments", 1, "values", "my key"), "bad", "fix it")
    assert str(problem) == 'x.yaml:3:5: environments[1].values["my key"]: bad (fix it)'


@pytest.mark.parametrize("text", ["a:\n\tb: 1\n", "a:\n  b: 1\n  \tc: 2\n"])
def test_tab_indentation_says_tab_and_where(text: str) -> None:
    (message,) = problems(text)
    line = text.count("\n", 0, text.index("\t")) + 1
    column = text.index("\t") - text.rfind("\n", 0, text.index("\t"))
    assert message.startswith(f"s.yaml:{line}:{column}: invalid YAML: a tab is used for indentation")
    assert "spaces" in message


@pytest.mark.parametrize("extra", [" ", "  "])
def test_over_indented_list_item_gets_a_hint(extra: str) -> None:
    (message,) = problems(f"envs:\n  - name: dev\n  {extra}- name: stag\n")
    assert message.startswith("s.yaml:3:") and "line up the `-` of every item" in message


def test_yaml11_boolean_words_are_remembered_with_their_word() -> None:
    doc = parse_document(b"a: yes\nb: [Off, true, FALSE]\nc: 'no'\n", "s.yaml")
    assert doc.yaml11_bools == {("a",): "yes", ("b", 0): "Off"}
