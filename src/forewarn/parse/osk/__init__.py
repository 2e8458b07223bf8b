"""Parsers for OpenStack / Kolla evidence (oslo-style INI, globals.yml, chrony.conf, nova-compute log)."""
