"""image.valuePaths, app-wide values and charts.chart: what the overlay and Application say, and
that every tag reader (render, check's both paths, promote's) finds the tag at any path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, strategies as st

from shipspec.render import header
from shipspec.release import tagedit
from shipspec.spec import valuepaths
from shipspec.files import workspace
from shipspec.spec.loader import parse_document
from shipspec.render.core import Output, render
from shipspec.spec.validation import LoadedSpec, validate
from tests.validators import assert_valid, validate_argocd_application

BASE = "apiVersion: shipspec/v1\nkind: App\nname: myapp\ncharts:\n  repo: git@github.com:myorg/charts.git\n"


def loaded(text: str) -> LoadedSpec:
    raw = (BASE + text).encode()
    return LoadedSpec(validate(parse_document(raw, "shipspec.yaml")), Path("shipspec.yaml"), raw, "shipspec.yaml")


def overlay(spec: LoadedSpec, env: str = "dev", tag: str | None = "0a1b2c3") -> tuple[str, dict]:
    text = render(spec, {env: tag} if tag else {})[Output("charts", f"charts/myapp/values.{env}.yaml")]
    return text, yaml.safe_load(text) or {}


@pytest.mark.parametrize(("repository", "registry", "rest"), [
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/nginx", "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
     "acme/nginx"),
    ("localhost:5000/app", "localhost:5000", "app"),
    ("acme/nginx", "docker.io", "acme/nginx"),
    ("nginx", "docker.io", "nginx"),
])
def test_the_registry_split_puts_the_host_apart(repository: str, registry: str, rest: str) -> None:
    spec = loaded(f"image:\n  repository: {repository}\n  valuePaths: {{registry: image.registry}}\n")
    _, values = overlay(spec)
    assert values["image"] == {"registry": registry, "repository": rest, "tag": "0a1b2c3"}
    makefile = render(spec)[Output("app", "Makefile")]
    assert f"IMAGE ?= {repository}\n" in makefile  # the Makefile still builds and pushes the full reference


def test_app_wide_values_merge_under_each_environments() -> None:
    spec = loaded("image:\n  repository: myrepo/myapp\n"
                  "values:\n  global: {security: {allowInsecureImages: true}, x: 1}\n  list: [1, 2]\n"
                  "  image: {pullPolicy: Always}\n"
                  "environments:\n  - name: dev\n    values:\n      global: {x: 2}\n      list: [3]\n"
                  "  - name: stag\n  - name: prod\n")
    _, dev = overlay(spec)
    assert dev == {"image": {"repository": "myrepo/myapp", "tag": "0a1b2c3", "pullPolicy": "Always"},
                   "global": {"security": {"allowInsecureImages": True}, "x": 2}, "list": [3]}
    _, stag = overlay(spec, "stag")
    assert stag["global"] == {"security": {"allowInsecureImages": True}, "x": 1} and stag["list"] == [1, 2]


LAYOUTS = {
    "default": ("", ("image", "tag")),
    "nested": ("{registry: tempo.registry, repository: tempo.repository, tag: tempo.tag}", ("tempo", "tag")),
    "deep": ("{repository: a.b.repo, tag: a.b.c.tag}", ("a", "b", "c", "tag")),
    "yaml11-word": ("{repository: on.repository, tag: on.tag}", ("on", "tag")),
    "ref": ("{ref: app.image}", ("app", "image")),
    "ref-alone": ("{ref: imageRef}", ("imageRef",)),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_reader_finds_the_tag_at_its_path_and_an_unreleased_overlay_has_none(layout: str, tmp_path) -> None:
    paths, keys = LAYOUTS[layout]
    spec = loaded("image:\n  repository: quay.io/acme/app\n" + (f"  valuePaths: {paths}\n" if paths else "")
                  + "values:\n  zz: {a: 1}\n")
    where = valuepaths.tag_path(spec.spec.image)
    assert where.keys == keys
    text, values = overlay(spec)
    node = values
    for key in keys:
        node = node[key]
    assert node == ("quay.io/acme/app:0a1b2c3" if where.ref else "0a1b2c3")
    assert tagedit.current_tag(text, "x", where) == "0a1b2c3"
    (tmp_path / "values.yaml").write_text(text)
    assert workspace.read_tag(tmp_path / "values.yaml", where) == "0a1b2c3"
    unreleased, plain = overlay(spec, tag=None)
    assert tagedit.current_tag(unreleased, "x", where) is None and plain.get("zz") == {"a": 1}
    assert "0a1b2c3" not in unreleased and (not where.ref or "quay.io" not in unreleased)
    # The body digest ignores the tag and whether there is one (only the note naming the awaited
    # Application differs): a release is not an edit.
    awaiting = header.AWAITING.search(unreleased)
    assert awaiting is not None
    without_note = unreleased[:awaiting.start()] + unreleased[awaiting.end() + 1:]
    assert header.body_digest(header.split(text)[1]) == header.body_digest(header.split(without_note)[1])
    other, _ = overlay(spec, tag="fffffff")
    assert header.split(other)[0] == header.split(text)[0]


def test_a_pinned_tag_carries_its_comment_at_any_path_and_counts_in_the_digest() -> None:
    spec = loaded("image:\n  repository: myrepo/myapp\n  valuePaths: {ref: app.image}\n"
                  "environments:\n  - name: dev\n    pin: \"1e5\"\n  - name: stag\n  - name: prod\n")
    text, values = overlay(spec)
    assert values["app"]["image"] == "myrepo/myapp:1e5"
    assert 'image: "myrepo/myapp:1e5"  # pinned by environments[0].pin in the spec\n' in text
    body = header.split(text)[1]
    assert header.body_digest(body) != header.body_digest(body.replace(":1e5", ":1e6"))


@given(st.from_regex(r"[\w][\w.-]{0,20}", fullmatch=True))
def test_any_tag_reads_back_from_a_ref(tag: str) -> None:
    where = valuepaths.TagPath(("app", "image"), ref=True)
    text = f'app:\n  image: "localhost:5000/acme/app:{tag}"\n'
    assert tagedit.current_tag(text, "x", where) == tag
    match = header.find_tag(text, where)
    assert match is not None and header.read_tag(match, where) == tag


@pytest.mark.parametrize(("url", "argocd"), [
    ("oci://registry-1.docker.io/bitnamicharts", "registry-1.docker.io/bitnamicharts"),
    ("https://charts.bitnami.com/bitnami", "https://charts.bitnami.com/bitnami"),
])
def test_a_published_chart_is_a_valid_multi_source_application(url: str, argocd: str) -> None:
    raw = (BASE.replace("git@github.com:myorg/charts.git\n", f"git@github.com:myorg/charts.git\n  path: apps/web\n"
                        f"  chart: {{repoURL: '{url}', name: nginx, version: 22.1.1}}\n")
           + "image:\n  repository: myrepo/myapp\n").encode()
    spec = LoadedSpec(validate(parse_document(raw, "shipspec.yaml")), Path("shipspec.yaml"), raw, "shipspec.yaml")
    application = yaml.safe_load(render(spec, {"prod": "0123abc"})[Output("charts", "argocd/myapp-prod.yaml")])
    assert_valid(validate_argocd_application(application), "myapp-prod.yaml")
    assert "source" not in application["spec"]
    assert application["spec"]["sources"] == [
        {"repoURL": argocd, "chart": "nginx", "targetRevision": "22.1.1",
         "helm": {"releaseName": "myapp", "valueFiles": ["$values/apps/web/values.prod.yaml"]}},
        {"repoURL": "git@github.com:myorg/charts.git", "targetRevision": "master", "ref": "values"},
    ]


_LINES = st.sampled_from([
    "image:", "app:", "  image:", "  tag: \"abc1234\"", "tag: \"abc1234\"", "  tag: \"\"", "    tag: \"x1\"",
    "  repository: r", "  image: \"localhost:5000/acme/app:v1\"", "  tag: \"abc\"  # pinned", "# image:", "other: 1",
    "image: x", "  nested:", "    deeper: 2", "", "imagetag: \"z\"",
])


@given(st.lists(_LINES, max_size=12), st.sampled_from([
    valuepaths.TagPath(("image", "tag"), ref=False), valuepaths.TagPath(("tag",), ref=False),
    valuepaths.TagPath(("app", "image"), ref=True), valuepaths.TagPath(("app", "image", "tag"), ref=False),
]))
def test_find_tag_finds_what_a_regex_search_finds(lines: list[str], where: valuepaths.TagPath) -> None:
    """find_tag tries the tag line's regex only where a line starts with the path's first key."""
    body = "\n".join(lines) + "\n"
    found, searched = header.find_tag(body, where), header.tag_line(where).search(body)
    assert (found and (found.span(), found.groupdict())) == (searched and (searched.span(), searched.groupdict()))
