"""Pacemaker (crm_mon, pcs) output."""
