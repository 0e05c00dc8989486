"""kb: a claim-tracking knowledge base for researchers."""

__version__ = "0.1.0"
