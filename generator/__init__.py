"""shipspec: one declarative spec per app, rendered into its GitOps delivery files."""

__version__ = "0.1.0"
