"""The pure render: snapshots of every sample, determinism, tags, and quoting that nothing escapes."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from shipspec.render import yamlout
from shipspec.render.core import Output, render
from shipspec.files.specfile import load
from samples import SAMPLES, SAMPLES_DIR, load_sample, render_sample

HOSTILE = ["yes", "no", "on", "Off", "y", "~", "null", "012", "0x1F", "1e3", "1_000", "1:20", ".inf", "a: b",
           "#x", "- x", "{{ x }}", "{a: 1}", "[1]", "&anchor", "*alias", "!tag", "|", ">", "%x", "@x", "`x",
           "line\nbreak", "tab\there", " padded ", "quote\"s", "back\\slash", "\x7f\x85\u2028\u2029\ufeff", "🚀",
           "", "'single'", "x #not comment", "2001-12-14", "=", "<<"]


def yaml12(text: str):
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_render_of_each_sample_matches_snapshot(name: str, snapshot) -> None:
    assert {str(output): text for output, text in render_sample(name).items()} == snapshot


def test_render_is_identical_from_two_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = []
    for place in ("one", "two/deeper"):
        target = tmp_path / place / "five-env"
        shutil.copytree(SAMPLES_DIR / "five-env", target)
        monkeypatch.chdir(tmp_path / place)
        texts.append(render(load(Path("five-env/shipspec.yaml"))))
    assert texts[0] == texts[1]
    assert "\n# shipspec.yaml\n# [app:ledger," in texts[0][Output("app", "Makefile")]


def test_existing_tag_is_kept_and_a_pin_overrides_it() -> None:
    loaded = load_sample("five-env")
    rendered = render(loaded, {"dev": "0123456", "qa": "abc", "prod": "1e5"})
    values = {env: yaml.safe_load(rendered[Output("charts", f"charts/ledger/values.{env}.yaml")]) for env in
              ("dev", "qa", "stag", "prod")}
    assert values["dev"]["image"] == {"repository": "quay.io/acme/ledger", "tag": "0123456"}
    assert values["qa"]["image"]["tag"] == "1e5"  # pinned in the spec
    assert values["stag"]["image"] == {"repository": "quay.io/acme/ledger"}  # awaiting its first release
    assert values["prod"]["image"]["tag"] == "1e5"
    applications = {output.path for output in rendered if output.path.startswith("argocd/")}
    assert applications == {f"argocd/ledger-{env}.yaml" for env in ("dev", "qa", "prod")}


def test_no_overlay_holds_an_empty_tag_and_an_untagged_environment_has_no_application() -> None:
    loaded = load_sample("myapp")
    rendered = render(loaded, {"dev": ""})
    assert not [path for path in map(str, rendered) if "argocd/" in path]
    for env in ("dev", "stag", "prod"):
        overlay = yaml.safe_load(rendered[Output("charts", f"charts/myapp/values.{env}.yaml")])
        assert "tag" not in overlay["image"]


def test_applications_track_the_charts_branch() -> None:
    for output, text in render_sample("five-env").items():
        if output.path.startswith("argocd/"):
            assert yaml.safe_load(text)["spec"]["source"]["targetRevision"] == "main"


def _values_lines(value) -> str:
    return "\n".join(yamlout.block(value)) + "\n"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_stay_strings(text: str) -> None:
    document = _values_lines({"key": text, text or "empty": [text], "n": {text or "e": text}})
    expected = {"key": text, text or "empty": [text], "n": {text or "e": text}}
    assert yaml.safe_load(document) == expected
    assert yaml12(document) == expected


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False), st.text(), st.sampled_from(HOSTILE),
)
keys = st.one_of(st.text(min_size=1), st.sampled_from([k for k in HOSTILE if k]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                      max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, values, max_size=5))
def test_any_values_mapping_loads_back_identical_in_yaml_1_1_and_1_2(mapping) -> None:
    document = _values_lines(mapping) if mapping else "{}\n"
    assert yaml.safe_load(document) == mapping
    assert yaml12(document) == mapping


@settings(max_examples=300, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=12), st.integers(min_value=10, max_value=80))
def test_folded_strings_read_back_exactly(text: str, indent: int, width: int) -> None:
    document = "key: " + yamlout.scalar(text, indent=indent + 2, width=width) + "\n"
    assert yaml.safe_load(document) == {"key": text}
    assert yaml12(document) == {"key": text}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(['"', "\\", "é", "\x7f", "ab", "word", "x" * 9]), min_size=1, max_size=30)
       .map(" ".join), st.integers(min_value=10, max_value=60))
def test_folded_lines_fit_the_width_as_written_escapes_included(text: str, width: int) -> None:
    lines = yamlout.scalar(text, indent=4, width=width).split("\n")
    inner = [line.strip() for line in lines]
    inner[0] = inner[0][1:]  # the opening quote
    inner[-1] = inner[-1][:-1]  # the closing one
    assert all(len(line) <= width or " " not in line for line in inner), lines
    assert yaml.safe_load("key: " + "\n".join(lines) + "\n") == {"key": text}


def test_makefile_words_are_shell_quoted_for_make() -> None:
    assert yamlout.shell("a b$c'd") == "'a b$$c'\"'\"'d'"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys.filter(lambda k: k != "image"), values, max_size=5), st.text(max_size=40))
def test_any_environment_values_render_into_an_overlay_that_loads_back(mapping, tag_text) -> None:
    loaded = load_sample("minimal")
    spec = loaded.spec.model_copy(deep=True)
    spec.environments[0].values = mapping
    rendered = render(type(loaded)(spec, loaded.path, loaded.source, loaded.repo_path), {"dev": tag_text})
    text = rendered[Output("charts", "charts/minimal/values.dev.yaml")]
    image = {"repository": "myrepo/minimal", "tag": tag_text} if tag_text else {"repository": "myrepo/minimal"}
    expected = {"image": image, **mapping}
    assert yaml.safe_load(text) == expected
    assert yaml12(text) == expected


def test_the_renderer_fingerprint_covers_every_rendering_module() -> None:
    from shipspec.render import header

    package = Path(header.__file__).parent.parent
    assert all((package / name).is_file() for name in header._RENDERER_MODULES)
    # Every module of render/ shapes generated bytes, but the scaffold (init's files carry no header)
    # and import's inverse in render/adoption/ (it shapes a spec, which generate then renders).
    rendering = {p.relative_to(package).as_posix() for p in (package / "render").rglob("*.py")
                 if p.name not in {"__init__.py", "scaffold.py"} and p.parent.name != "adoption"}
    assert rendering <= set(header._RENDERER_MODULES)


@pytest.mark.parametrize(("command", "expected"), [
    ("docker run $(IMAGE):$(TAG) t", 'docker run $(IMAGE):"$(CHECKED_TAG)" t'),
    ('run "$(IMAGE):${TAG}"', 'run "$(IMAGE):$(CHECKED_TAG)"'),
    ("echo '$(TAG)' $$(TAG) \\\"$(TAG)", "echo '$(CHECKED_TAG)' $$(TAG) \\\"\"$(CHECKED_TAG)\""),
    ("make unit-test", "make unit-test"),
])
def test_test_command_uses_the_checked_tag(command: str, expected: str) -> None:
    assert yamlout.checked_tag(command) == expected


def test_the_header_fits_yamllint_lines_and_reads_back() -> None:
    from shipspec.render import header

    made = header.Header("0.1.0", "services/" + "deep/" * 30 + "shipspec.yaml", "a" * 53, *["0123456789abcdef"] * 4)
    lines = made.line().split("\n")
    assert len(lines) == header.LINES
    # Each line is short, or one word after "# " (yamllint's allow-non-breakable-words).
    assert all(len(line) <= 80 or " " not in line[2:] for line in lines), lines
    assert header.parse(made.line()) == made
    assert header.split(made.line() + "\nbody\n") == (made.line(), "body\n")
    assert header.is_generated(lines[0])
