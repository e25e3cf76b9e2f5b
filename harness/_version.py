"""The harness's version, alone at the bottom so that results can record it without importing the package."""

__version__ = "0.1.0"
