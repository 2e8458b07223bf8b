"""forewarn: diagnose virtualization and container clusters the way a senior admin would."""

__version__ = "0.1.0"
