"""A parsed spec document into a validated `Spec`, or into located problems."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..errors import InvalidSpec, Problem
from . import rules
from .loader import Document
from .model import NAME_RULES, RULE_ERROR, Spec

__all__ = ["LoadedSpec", "validate"]


@dataclass(frozen=True)
class LoadedSpec:
    """A valid spec and where it lives."""

    spec: Spec
    path: Path  # the spec file, as found
    source: bytes  # its bytes, for digests
    repo_path: str  # POSIX path relative to its git repo root (or its bare name outside git)
    own_pipeline: bool = True  # False: an app of its repository's root pipeline (SPEC "Monorepos")
    root_path: str | None = None  # POSIX path from the root of that repository (see files/monorepo.py)

    @cached_property  # asked for by every file of the app: one Path, not one per ask
    def directory(self) -> Path:
        return self.path.parent


def validate(doc: Document) -> Spec:
    """Validate a parsed document; raise InvalidSpec with every problem in it."""
    problems = [*doc.problems, *_yaml11_bools(doc)]
    try:
        spec = Spec.model_validate(doc.data)
    except ValidationError as exc:
        problems += _model_problems(doc, exc)
    else:
        # Rules across fields need a valid model; they run whenever there is one.
        problems += [doc.problem(f.loc, f.message, at=f.at) for f in rules.check(spec)]
    if problems:
        raise InvalidSpec(sorted(problems, key=_reading_order))
    return spec


def _yaml11_bools(doc: Document) -> list[Problem]:
    """`autoSync: no` is false to PyYAML and the string "no" to YAML 1.2 (an editor with the
    schema): a boolean field takes only the words both agree on."""
    return [
        doc.problem(loc, f"{word!r} is a boolean only in YAML 1.1 (a string in YAML 1.2)", hint=_WRITE_BOOL)
        for loc, word in doc.yaml11_bools.items()
        if _expects_bool(loc)
    ]


_WRITE_BOOL = "write true or false"
# Words that YAML 1.1 reads as booleans; PyYAML leaves y and n as strings, strict pydantic refuses them.
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off"}


def _expects_bool(loc: tuple[Any, ...]) -> bool:
    annotation = _field_annotation(loc)
    return annotation is bool or bool in get_args(annotation)


def _model_problems(doc: Document, exc: ValidationError) -> list[Problem]:
    # A value the loader (or the YAML 1.1 check) already refused needs no second message.
    refused = {problem.loc for problem in doc.problems} | {loc for loc in doc.yaml11_bools if _expects_bool(loc)}
    return [_problem(doc, error) for error in exc.errors() if not _under(tuple(error["loc"]), refused)]


def _under(loc: tuple[Any, ...], refused: set[tuple[Any, ...]]) -> bool:
    return any(loc[:n] in refused for n in range(1, len(loc) + 1))


def _reading_order(problem: Problem) -> tuple[int, int]:
    return problem.line or 0, problem.column or 0


def _problem(doc: Document, error: Any) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    if loc and loc[-1] == "[key]":  # pydantic's marker for an invalid mapping key
        return doc.problem(loc[:-1], _message(error), key=True)
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else f"known fields: {', '.join(known)}"
        return doc.problem(loc, "unknown field", hint=hint, key=True)
    if kind == "missing":
        return doc.problem(loc, "required field is missing", key=True)
    quote = kind == "string_type" and isinstance(error["input"], (bool, int, float))
    if kind == "bool_type" and str(error["input"]).lower() in _YAML11_WORDS:
        return doc.problem(loc, _message(error), hint=_WRITE_BOOL)
    return doc.problem(loc, _message(error), hint="quote it if you mean the text" if quote else None)


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "float_type": "a number",
}


def _message(error: Any) -> str:
    kind = error["type"]
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {_describe(error['input'])}"
    if kind == "literal_error":
        return f"must be {error['ctx']['expected']}, got {_describe(error['input'])}"
    if kind == "greater_than_equal":
        return f"must be at least {error['ctx']['ge']}, got {error['input']!r}"
    if kind == "less_than_equal":
        return f"must be at most {error['ctx']['le']}, got {error['input']!r}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "too_long":
        return f"must have at most {error['ctx']['max_length']} entries, has {error['ctx']['actual_length']}"
    rule = NAME_RULES.get(error.get("ctx", {}).get("rule")) if kind == RULE_ERROR else None
    return (rule and rule(error["input"])) or str(error["msg"])


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):  # in YAML's own words: `yes`, `on` and `true` all read as true
        return f"boolean {str(value).lower()}"
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping"}
    shown = repr(value) if isinstance(value, (str, int, float)) and len(repr(value)) < 40 else ""
    return f"{kind.get(type(value), type(value).__name__)} {shown}".strip()


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    model = _model_at(loc)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _model_at(loc: tuple[Any, ...]) -> Any:
    model: Any = Spec
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = _field(model, part)
        if field is not None:  # otherwise `part` is a key of a mapping of models
            model = _inner_model(field.annotation)
    return model


def _field_annotation(loc: tuple[Any, ...]) -> Any:
    """The annotation of the model field `loc` names, or None (a list item, free-form values)."""
    if not loc or isinstance(loc[-1], int):
        return None
    model = _model_at(loc[:-1])
    field = _field(model, loc[-1]) if model is not None else None
    return field.annotation if field is not None else None


def _field(model: Any, name: Any) -> Any:
    return next((f for n, f in model.model_fields.items() if (f.alias or n) == name), None)


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None if get_origin(annotation) is not dict else _inner_model(get_args(annotation)[-1])
