"""`--api`: `forewarn scan` and `collect` through the Proxmox VE API (collect/api_run.py).

The token comes from `FOREWARN_PVE_TOKEN` or `--token-file`, never from an option's value: a
command line is visible to every user of the machine (ps, /proc) and lands in shell histories.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

API_KEYS = ("api", "token_file", "fingerprint", "ca_file")


def api_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--api", "api", metavar="https://HOST[:8006]",
                     help="Read the cluster through the Proxmox VE API instead of SSH (no root login): "
                          "token from $FOREWARN_PVE_TOKEN ('user@realm!tokenid=SECRET') or --token-file."),
        click.option("--token-file", "token_file", type=click.Path(dir_okay=False),
                     help="With --api: file holding the API token (user@realm!tokenid=SECRET).",),
        click.option("--fingerprint", "fingerprint", metavar="SHA256",
                     help="With --api: accept only the certificate with this SHA-256 fingerprint "
                          "(AB:CD:..., as `pvenode cert info` shows), for self-signed clusters."),
        click.option("--ca-file", "ca_file", type=click.Path(exists=True, dir_okay=False),
                     help="With --api: CA certificate(s) to verify the cluster's certificate with "
                          "(e.g. the cluster's /etc/pve/pve-root-ca.pem)."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def pop_api(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: kw.pop(k) for k in API_KEYS if k in kw}


def wants_api(api: dict[str, Any], targets: tuple[str, ...], ssh: dict[str, Any]) -> bool:
    """True when the command reads through the API; raises click.UsageError for mixed sources.

    An `api` from the config file gives way to targets, --cluster or -i on the command line."""
    from forewarn.cli.config import from_config

    if api.get("api") and from_config("api") and (
            (targets and not from_config("targets")) or any(ssh.get(k) and not from_config(k)
                                                            for k in ("cluster", "inventory"))):
        api["api"] = None
    if not api.get("api"):
        stray = [f"--{k.replace('_', '-')}" for k in ("token_file", "fingerprint", "ca_file") if api.get(k)
                 and click.get_current_context().get_parameter_source(k) is click.core.ParameterSource.COMMANDLINE]
        if stray:
            raise click.UsageError(f"{', '.join(stray)} only go with --api")
        return False
    if targets:
        raise click.UsageError(f"give --api or targets ({' '.join(targets)}), not both")
    if ssh.get("cluster") or ssh.get("inventory"):
        raise click.UsageError("give --api or --cluster/-i, not both")
    if api.get("fingerprint") and api.get("ca_file"):
        raise click.UsageError("give --fingerprint or --ca-file, not both")
    return True


def collect_via_api(api: dict[str, Any], live: dict[str, Any], out_dir: Path | None = None,
                    echo: Callable[[str], None] = lambda s: None) -> Any:
    """Collect through the API into a Bundle (written to `out_dir` when given)."""
    from forewarn.cli.output import Fail
    from forewarn.collect.api_run import collect_api
    from forewarn.collect.sources.api import (TIMEOUT, ApiClient, ApiError, ApiTarget, normalise_fingerprint,
                                              token_from)

    try:
        target = ApiTarget.parse(api["api"])
        token = token_from(os.environ, api.get("token_file"))
        pin = normalise_fingerprint(api["fingerprint"]) if api.get("fingerprint") else None
    except ApiError as exc:
        raise Fail(str(exc)) from None
    timeout = float(live.get("command_timeout") or TIMEOUT)
    client = ApiClient(target, token, fingerprint=pin, ca_file=api.get("ca_file"), timeout=timeout)
    return collect_api(client, str(target), out_dir=out_dir, echo=echo, host=target.host)
