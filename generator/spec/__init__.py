"""The spec: YAML with positions, the model and its defaults, names, cross-field rules, value paths, JSON Schema.

Pure: takes bytes and data, returns data or located problems. Imports only the package's base modules
(errors); never the disk, git, the network or the clock, and nothing of render/, files/ or release/.
"""
