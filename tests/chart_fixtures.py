"""Small Helm charts the real-chart tests write: one per way real charts read the image.

Each chart also renders a ConfigMap with `replicaCount`, so a test can see the
per-environment values Helm received, and every workload has an init container
running the same image, since `check --render` checks those too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  replicas: {{ .Values.replicaCount | quote }}
"""



def _pod(indent: int) -> str:
    lines = ["initContainers:", "  - name: migrate", "    image: IMAGE", "containers:", "  - name: app",
             "    image: IMAGE"]
    return "".join(" " * indent + line + "\n" for line in lines)


_POD = _pod(6)

WORKLOADS = {
    "Deployment": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
""" + _POD,
    "StatefulSet": """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}-tempo
spec:
  serviceName: {{ .Release.Name }}-tempo
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
""" + _POD,
    "DaemonSet": """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}-agent
spec:
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
""" + _POD,
    "CronJob": """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ .Release.Name }}-job
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
""" + _pod(10),
}

# Bitnami's charts refuse images from other registries unless told otherwise: the reason
# for app-wide values (issue 12).
BITNAMI_GUARD = """\
{{- if not .Values.global.security.allowInsecureImages }}
{{- fail "Original containers have been substituted: set global.security.allowInsecureImages=true" }}
{{- end }}
"""

STRICT_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "global": {"type": "object"},
        "replicaCount": {"type": "integer", "minimum": 0},
        "image": {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: {"type": "string"} for name in ("registry", "repository", "tag", "pullPolicy")},
        },
    },
}

SUBCHART_DAEMONSET = WORKLOADS["DaemonSet"].replace("IMAGE", "docker.io/library/busybox:1.36").replace(
    "-agent", "-sidecar")


@dataclass(frozen=True)
class Chart:
    """A chart fixture: its values.yaml, its workload kind and how that workload spells its image."""

    name: str
    kind: str
    values: str
    image: str  # the Helm expression of the image reference
    schema: dict[str, object] | None = None
    guard: bool = False
    dependency: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        files = {
            "Chart.yaml": f"apiVersion: v2\nname: {self.name}\nversion: 0.1.0\nappVersion: \"1.0\"\n"
                          + ("dependencies:\n  - name: common\n    version: 0.1.0\n" if self.dependency else ""),
            "values.yaml": self.values,
            "templates/configmap.yaml": CONFIGMAP,
            f"templates/{self.kind.lower()}.yaml": (BITNAMI_GUARD if self.guard else "")
            + WORKLOADS[self.kind].replace("IMAGE", self.image),
            **self.extra,
        }
        if self.schema is not None:
            files["values.schema.json"] = json.dumps(self.schema, indent=2)
        if self.dependency:  # an unpacked subchart in charts/, as `helm dependency build` leaves it (untarred)
            files["charts/common/Chart.yaml"] = "apiVersion: v2\nname: common\nversion: 0.1.0\n"
            files["charts/common/templates/daemonset.yaml"] = SUBCHART_DAEMONSET
        for path, text in files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text)
        return folder


DEFAULT = Chart(
    "webapp", "Deployment", 'replicaCount: 1\nimage:\n  repository: nginx\n  tag: "1.25"\n',
    '"{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
)
BITNAMI = Chart(
    "nginx", "Deployment",
    "global:\n  security:\n    allowInsecureImages: false\nreplicaCount: 1\n"
    'image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: "1.25.3"\n  pullPolicy: IfNotPresent\n',
    '"{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
    schema=STRICT_SCHEMA, guard=True,
)
TEMPO = Chart(
    "tempo", "StatefulSet",
    'replicaCount: 1\ntempo:\n  registry: docker.io\n  repository: grafana/tempo\n  tag: "2.4.1"\n',
    '"{{ .Values.tempo.registry }}/{{ .Values.tempo.repository }}:{{ .Values.tempo.tag }}"',
)
REF = Chart(
    "nightly", "CronJob", 'replicaCount: 1\napp:\n  image: "busybox:1.36"\n', '"{{ .Values.app.image }}"',
)
SCHEMA = Chart(
    "strict", "Deployment", 'replicaCount: 1\nimage:\n  repository: nginx\n  tag: "1.25"\n',
    '"{{ .Values.image.repository }}:{{ .Values.image.tag }}"', schema=STRICT_SCHEMA,
)
DEPENDENCY = Chart(
    "agent", "DaemonSet", 'replicaCount: 1\nimage:\n  repository: nginx\n  tag: "1.25"\n',
    '"{{ .Values.image.repository }}:{{ .Values.image.tag }}"', dependency=True,
)
