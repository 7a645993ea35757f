"""Prove an app in sync from the digests in its files' headers, without
parsing, validating or rendering its spec.

Every generated file records the digest of the spec bytes it came from, the
shipspec version, the digest of the app's file list and of its own body. When
all of them match, the files are exactly what this shipspec renders from this
spec, so the full comparison would find nothing. Any doubt returns None and
the caller takes the full path, which gives the same verdict.

Only what locates the files is read from the spec, by a deliberately narrow
line scan: anything it does not understand is a doubt. A misread chart path,
manifests folder or name cannot pass either: the file list's digest covers
them.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .. import __version__
from ..render import header
from ..render.yamlout import quote
from ..spec import defaults
from . import monorepo, paths
from .paths import repo_relative
from .writer import is_staged

# Every file next to the spec that may carry the app's header: the pipeline of any provider (the
# ones `ci:` no longer selects are stale) and the Makefile.
APP_FILES = (*defaults.CI_FILES.values(), "Makefile")
VALUES_SCHEMA = "values.schema.json"
_KEY = re.compile(r"(?P<indent> *)(?P<key>[A-Za-z][A-Za-z0-9]*):(?:[ ]+(?P<value>.*))?")
_VALUE = re.compile(r"""(?P<q>["']?)(?P<text>[A-Za-z0-9_.][A-Za-z0-9_./-]*)(?P=q)(?:[ ]+#.*)?""")
_WANTED = {("charts", "path"), ("charts", "checkout"), ("argocd", "manifests")}
_TOP_LINE = re.compile(r"^[^ \n#].*", re.MULTILINE)
# How much of an overlay both paths read for its tag: the full path reads no further (workspace).
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Layout:
    """Where an app's files live, as far as locating them needs."""

    name: str
    checkout: str
    chart_path: str
    manifests: str
    ci: str = defaults.CI

    @property
    def app_files(self) -> tuple[str, str]:
        """The files next to the spec that it generates."""
        return defaults.CI_FILES[self.ci], "Makefile"


def layout(source: bytes) -> Layout | None:
    """The file layout of a spec from a line scan of its text; None when in any doubt."""
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        return None
    found = _scan(text)
    if found is None or "name" not in found:
        return None
    name, ci = found["name"], found.get("ci", defaults.CI)
    if ci not in defaults.CI_FILES:
        return None
    return Layout(
        name,
        found.get("charts.checkout", defaults.CHECKOUT),
        found.get("charts.path", defaults.chart_path(name)),
        found.get("argocd.manifests", defaults.MANIFESTS),
        ci,
    )


def _scan(text: str) -> dict[str, str] | None:
    # Top-level lines by regex: only the bodies of `name`, `charts` and `argocd` are walked.
    found: dict[str, str] = {}
    tops = list(_TOP_LINE.finditer(text))
    for index, top in enumerate(tops):
        match = _KEY.fullmatch(top.group())
        if match is None:
            return None  # directives, documents, complex keys: not our subset
        key, value = match["key"], match["value"]
        if key in found or f"{key}:" in found:
            return None  # a duplicate key: the spec is invalid, let the full path say so
        body = text[top.end():tops[index + 1].start() if index + 1 < len(tops) else len(text)]
        found[f"{key}:"] = ""
        if key in ("name", "ci"):
            parsed = _VALUE.fullmatch(value or "")
            if parsed is None or not _blank(body):
                return None  # not a simple scalar, or one continued on the next lines
            found[key] = parsed["text"]
        elif key in ("charts", "argocd"):
            if not _blank(value or "") or not _section(key, body, found):
                return None  # a flow mapping or an alias, or a body we cannot read
    return {key: value for key, value in found.items() if not key.endswith(":")}


def _blank(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))


def _section(section: str, body: str, found: dict[str, str]) -> bool:
    child_indent, last_wanted = 0, False
    for line in body.split("\n"):
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        child_indent = child_indent or indent
        if indent > child_indent:
            if last_wanted:
                return False  # a value we read continues on the next line
            continue
        match = _KEY.fullmatch(line)
        if indent < child_indent or match is None:
            return False
        path = f"{section}.{match['key']}"
        if path in found or f"{path}:" in found:
            return False
        found[f"{path}:"] = ""
        last_wanted = (section, match["key"]) in _WANTED
        if last_wanted:
            value = _VALUE.fullmatch(match["value"] or "")
            if value is None:
                return False
            found[path] = value["text"]
    return True


def candidates(
    app_dir: Path, charts: Path | None, where: Layout, skip: Collection[str] = frozenset()
) -> dict[str, Path]:
    """Every file that may carry this app's header, keyed like the header's file list ("root:path");
    only those next to the spec when `charts` is None; none whose key is in `skip` (no path built),
    and none that the run's folder listings show absent (nothing is opened to learn it)."""
    app_real = paths.run_real_path(str(app_dir))
    found = {key: app_dir / name for key, name in _APP_KEYS if key not in skip and paths.present(app_real, name)}
    if charts is None:
        return found
    charts_real = paths.run_real_path(str(charts))
    for entry in _files(paths.real_below(charts_real, where.chart_path)):
        if (key := f"charts:{where.chart_path}/{entry}") not in skip:
            found[key] = charts / where.chart_path / entry
    for entry in _prefixed(paths.real_below(charts_real, where.manifests), f"{where.name}-"):
        if entry.endswith(".yaml") and (key := f"charts:{where.manifests}/{entry}") not in skip:
            found[key] = charts / where.manifests / entry
    return found


_APP_KEYS = tuple((f"app:{name}", name) for name in APP_FILES)


def _files(folder: str) -> list[str]:
    """The files in the real folder `folder` (a link to a file counts), but for the temp files a
    concurrent `generate` is about to rename: they carry this app's header, and neither a proof nor
    the stale scan may count (or prune) them."""
    listing = paths.listing(folder)
    if listing is None:
        return []
    names = [name for name in listing.files if not (name.startswith(".") and is_staged(name))]
    names += [name for name in listing.links if not is_staged(name) and os.path.isfile(os.path.join(folder, name))]
    return sorted(names)


# The manifests folder is shared by every app of a charts repo: its sorted names are kept for the
# run, then searched by prefix, or a monorepo check would be quadratic.
_SORTED: dict[str, list[str]] = {}  # by real path: apps reach it by different paths


def forget_listings() -> None:
    """Drop cached folder listings; every command run starts with this."""
    _SORTED.clear()
    paths.forget()


def _prefixed(directory: str, prefix: str) -> Iterator[str]:
    names = _SORTED.get(directory)
    if names is None:
        names = _SORTED[directory] = _files(directory)
    index = bisect.bisect_left(names, prefix)
    while index < len(names) and names[index].startswith(prefix):
        yield names[index]
        index += 1


def is_ours(found: header.Header | None, name: str, spec_path: str) -> bool:
    return found is not None and found.app == name and found.spec_path == spec_path


class Proof(NamedTuple):
    """An app proven in sync: its name, its files, and the environments awaiting a first release
    with the Applications their first release will write (`reserved`)."""

    name: str
    files: list[Path]
    awaiting: tuple[str, ...] = ()
    reserved: tuple[Path, ...] = ()


def prove(spec_path: Path, charts_override: Path | None, *, app_only: bool = False) -> Proof | None:
    """The app's proof when every generated file is provably current; None on any doubt.

    `app_only`: only the files next to the spec; their common file-list digest
    is then taken as recorded (both files came from these very spec bytes).
    """
    try:
        source = spec_path.read_bytes()
    except OSError:
        return None
    where = layout(source)
    if where is None:
        return None
    charts = charts_override if charts_override is not None else spec_path.parent / where.checkout
    if not app_only and (not charts.is_dir() or (charts / where.chart_path / VALUES_SCHEMA).is_file()):
        return None  # a chart's values schema changes apart from the spec: validate every time
    shown = repo_relative(spec_path)
    expected = (__version__, header.renderer_fingerprint(), header.digest(source), shown)
    files: dict[str, tuple[Path, header.Header, str]] = {}
    # An app of a root pipeline generates no pipeline of its own: one beside it with its header is stale,
    # which the file-list digest then disowns (see `monorepo.owns_pipeline`).
    required = {f"app:{name}" for name in where.app_files[0 if monorepo.owns_pipeline(spec_path) else 1:]}
    places = candidates(spec_path.parent, None if app_only else charts, where)
    if not required <= places.keys():
        return None  # a file it must have is not there
    for key, path in places.items():
        read = _read(path)
        if read is None or not is_ours(read[0], where.name, shown):
            if key in required:
                return None
            continue
        files[key] = (path, *read)
    awaited = _awaited_applications(files)
    if awaited is None:
        return None
    recorded = header.set_digest([*files, *awaited]) if not app_only else files[min(required)][1].set_digest
    for path, found, body in files.values():
        made_by = (found.version, found.renderer, found.spec_digest, found.spec_path)
        if made_by != expected or found.set_digest != recorded:
            return None
        if header.body_digest(body) != found.body_digest or not _tag_reads_back(body):
            return None
    prefix = f"charts:{where.manifests}/{where.name}-"
    awaiting = tuple(sorted(key[len(prefix):-len(".yaml")] for key in awaited if key.startswith(prefix)))
    reserved = tuple(charts / key.removeprefix("charts:") for key in awaited)
    return Proof(where.name, [path for path, _, _ in files.values()], awaiting, reserved)


def _awaited_applications(files: dict[str, tuple[Path, header.Header, str]]) -> list[str] | None:
    """The Applications that overlays awaiting a first release name (the spec can generate them,
    they are not written yet); None when one exists anyway, which only the full path can judge."""
    awaited = []
    for key, (_path, _found, body) in files.items():
        match = header.AWAITING.search(body) if key.startswith("charts:") else None
        if match:
            awaited.append(f"charts:{match[1]}")
    return None if any(key in files for key in awaited) else awaited


def _read(path: Path) -> tuple[header.Header, str] | None:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    first, body = header.split(text)
    found = header.parse(first)
    return (found, body) if found is not None else None


def _tag_reads_back(body: str) -> bool:
    """An overlay's tag is what the full path reads back and renders again, so the overlay must say
    exactly what that render would: a free tag is left out of the body digest and must read back to
    the same text (an empty one, which the full path renders as no tag at all, does not), and the
    "not released yet" note belongs to an overlay without a tag, and to no other (a tag put by hand
    into an awaiting overlay makes the full path render a released one and its Application)."""
    path = header.noted_path(body)
    if path is None:
        return True
    awaiting = header.AWAITING.search(body) is not None
    if len(body.encode("utf-8")) >= HEAD_BYTES // 2:
        return False  # the full path reads the tag from the file's head only (header included)
    match = header.find_tag(body, path)
    if match is None:
        return awaiting
    if match["comment"] is not None:
        return not awaiting  # a pin: its line counts in the body digest
    value = header.decode_tag(match["value"])
    reads = value is not None and header.read_tag(match, path) is not None and quote(value) == match["value"]
    return reads and not awaiting
