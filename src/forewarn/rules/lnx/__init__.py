"""LNX: generic Linux host rules (kernel limits, systemd limits, time, accounts) for any Linux node."""
