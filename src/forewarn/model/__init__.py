"""Shared vocabulary of forewarn. No I/O happens in this package."""
