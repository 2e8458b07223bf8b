"""Where evidence comes from: this host, a node over SSH, or a bundle. One interface for all."""
