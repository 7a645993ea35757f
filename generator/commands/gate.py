"""`shipspec gate ENV --tag TAG [--wait D]`: the promotion gate (the core: release/gate.py).

Exit 0 open, 1 not (yet) open, failed, or Argo CD could not be read, 2 bad input.
"""

from __future__ import annotations

from ..release.gate import gate


def run(env_name: str, tag: str, *, wait: str | None, spec: str | None) -> int:
    return gate(env_name, tag, wait=wait, spec=spec)
