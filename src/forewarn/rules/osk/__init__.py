"""OSK rules: OpenStack / Kolla (seed 003: live migration, controller addresses, kolla volumes)."""
