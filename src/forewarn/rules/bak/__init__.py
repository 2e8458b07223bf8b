"""BAK: backups of Proxmox VE guests (vzdump jobs, their task logs and jobs.cfg)."""
