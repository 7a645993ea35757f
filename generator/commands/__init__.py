"""One thin module per command: parse, call one core function, report, return an exit code.

Commands never import each other; only cli.py imports click.
"""
