"""`shipspec import`'s pure inverse: existing Applications and overlays -> the spec that renders them.

It shapes a spec, never a generated file, so (like the scaffold) it is outside the renderer fingerprint.
"""
