"""The files on disk: discovery, reading specs, the workspace of an app, writing, drift (check), the digest
fast path, parallel fan-out, Helm renders and the generate core. Imports spec/ and render/, never release/.
"""
