"""Kubernetes node files and container runtime output."""
