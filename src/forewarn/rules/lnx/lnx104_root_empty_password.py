"""LNX104 root-empty-password: root's password is empty and sshd would accept it."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.parse.host.root_password_state import ROOT_PASSWORD_STATE as STATE, PasswordStates
from forewarn.parse.host.sshd_config import SSHD_CONFIG as SSHD, SshdConfig
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

DROPIN = "/etc/ssh/sshd_config.d/00-no-empty-passwords.conf"

FIX = (
    note("Seed 002's site removes root's password on purpose (`passwd -d root`) so that the IPMI/serial console "
         "needs none; if that is your policy too, keep it, but make sure SSH never accepts an empty password. "
         "Keep key-based root SSH working: Proxmox migration, replication and cluster tooling log in as root with "
         "keys, so do not set `PermitRootLogin no`."),
    step(f"printf 'PermitEmptyPasswords no\\n' > {DROPIN}"),
    note("Optionally, if every administrator logs in with a key: also `PasswordAuthentication no` and "
         "`KbdInteractiveAuthentication no` in that file (key logins keep working)."),
    step("sshd -t"),
    step("systemctl reload ssh"),
    step("sshd -T | grep -E '^(permitemptypasswords|passwordauthentication|kbdinteractiveauthentication|permitrootlogin) '"),
    note("Or give root a password (`passwd root`) if the console may require one; that changes the IPMI routine."),
)


@rule(code="LNX104", reads=(SSHD,), inputs=(STATE,), fix=FIX)
def root_empty_password(ctx: Context) -> Iterator[Hit]:
    hits: list[Hit] = []
    unknown: list[str] = []
    for node, f in sorted(ctx.by_node(STATE).items()):
        states: PasswordStates = f.value
        root = states.root
        if root is None or root.state != "empty":
            continue
        # never let a shadow line reach the report: cite the line, describe the fact
        ref = f.ref([root.line], excerpt=[f"root: password {root.state} ({'passwd -S: ' + root.code if root.code != 'shadow' else 'shadow field empty'})"])
        s = ctx.fact(SSHD, node)
        if s is None:
            unknown.append(f"{node}: root's password is empty, but sshd's settings were not collected (`sshd -T`), "
                           "so whether SSH accepts it is unknown")
            continue
        sshd: SshdConfig = s.value
        if sshd.error and not sshd.options:
            unknown.append(f"{node}: root's password is empty; `sshd -T` failed ({sshd.error})")
            continue
        root_login = sshd.get("permitrootlogin")
        empty_ok = sshd.yes("permitemptypasswords")
        pw = sshd.yes("passwordauthentication")
        kbd = sshd.yes("kbdinteractiveauthentication") and sshd.yes("usepam")
        if not (root_login == "yes" and empty_ok and (pw or kbd)):
            continue
        how = []
        if pw:
            how.append("PasswordAuthentication yes")
        if kbd:
            how.append("KbdInteractiveAuthentication yes with UsePAM yes")
        src = "sshd -T" if sshd.effective else "sshd_config" + ("" if all(
            sshd.given(k) for k in ("permitrootlogin", "permitemptypasswords")) else " (OpenSSH defaults for unset keys)")
        lines = [sshd.line(k) for k in ("permitrootlogin", "permitemptypasswords", "passwordauthentication",
                                          "kbdinteractiveauthentication", "usepam")]
        hits.append(Hit(
            f"{node}: root's password is empty ({'`passwd -S`: ' + root.code if root.code != 'shadow' else 'empty shadow field'}) and sshd accepts it: PermitRootLogin yes, "
            f"PermitEmptyPasswords yes, {' and '.join(how)} ({src}); anyone reaching SSH logs in as root without a password",
            nodes=node, evidence=[ref, s.ref(lines)],
            details={"root": root.state, "permitrootlogin": root_login, "permitemptypasswords": True,
                     "passwordauthentication": pw, "kbdinteractive_pam": bool(kbd)},
        ))
    if unknown and not hits:
        raise CouldNotCheck("; ".join(unknown))
    yield from hits
