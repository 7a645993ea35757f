"""`watch` globs and an app's inputs (spec/watch.py): pure, so plain calls."""

from __future__ import annotations

import pytest

from shipspec.spec.model import Spec
from shipspec.spec.watch import in_repository, inputs

BASE = {"apiVersion": "shipspec/v1", "kind": "App", "name": "api", "image": {"repository": "acme/api"},
        "charts": {"repo": "git@github.com:acme/charts.git"}}


def _spec(**extra: object) -> Spec:
    return Spec.model_validate({**BASE, **extra})


@pytest.mark.parametrize(("repo_path", "relative", "expected"), [
    ("services/api/shipspec.yaml", "../../libs/common/**", "libs/common/**"),
    ("services/api/shipspec.yaml", "../../../x", None),
    ("shipspec.yaml", "../x", None),
    ("shipspec.yaml", "docker/Dockerfile", "docker/Dockerfile"),
    ("services/api/shipspec.yaml", "..", "services"),
    ("services/api/shipspec.yaml", "../..", ""),
])
def test_in_repository(repo_path: str, relative: str, expected: str | None) -> None:
    assert in_repository(repo_path, relative) == expected


@pytest.mark.parametrize(("path", "hit"), [
    ("services/api/main.go", True),  # the folder, everything below it
    ("services/api/shipspec.yaml", True),
    ("services/apix/main.go", False),  # a sibling sharing the prefix is not the folder
    ("docker/api.Dockerfile", True),  # image.dockerfile outside the folder
    ("docker/web.Dockerfile", False),  # ... but not the rest of image.context
    ("libs/common/a/b/c.py", True),  # ** any depth
    ("libs/common", False),  # a file named like the folder is not inside it
    ("libs/commonx/c.py", False),
    ("proto/api.proto", True),  # * within one name
    ("proto/sub/api.proto", False),
    ("proto/v1.txt", False),
    ("tools/gen", True),  # a plain folder covers everything below it
    ("tools/gen/x/y", True),
    ("tools/generate", False),
    ("README.md", False),
])
def test_inputs(path: str, hit: bool) -> None:
    spec = _spec(image={"repository": "acme/api", "dockerfile": "../../docker/api.Dockerfile", "context": "../.."},
                 watch=["../../libs/common/**", "../../proto/*.proto", "../../tools/gen"])
    assert inputs(spec, "services/api/shipspec.yaml").touched_by([path]) is hit


def test_an_app_at_the_root_has_every_path_as_input() -> None:
    assert inputs(_spec(), "shipspec.yaml").touched_by(["anything/at/all"])


def test_character_classes() -> None:
    spec = _spec(watch=["../lib[0-9]/**", "../x[!a]"])
    found = inputs(spec, "apps/api/shipspec.yaml")
    assert found.touched_by(["apps/lib1/a"]) and not found.touched_by(["apps/libx/a"])
    assert found.touched_by(["apps/xb"]) and not found.touched_by(["apps/xa"])
