"""Real corosync output for PVE145 (expected votes lowered) and PVE237 (nodeids changed in
corosync.conf but not in the running membership), captured with the namespace lab.

    sudo .venv/bin/python tests/lab/capture_votes_nodeids.py tests/evidence/corosync-lab-3

Each scenario is the operator's action as documented (`corosync-quorumtool -e`, the emergency
`pvecm expected 1`; a nodeid edited in corosync.conf and `corosync-cfgtool -R`), not a simulation:
the files are what corosync 3.1.7 printed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corosync_lab import Lab, _raw, _write  # noqa: E402


COLLECTED = ("corosync-cmapctl nodelist; corosync-cmapctl runtime.members; "
             "corosync-cmapctl runtime.votequorum.this_node_id")


def capture(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with Lab(3, log=print) as lab:
        lab.start()
        lab.wait_all_quorate()
        _raw(out, "70-healthy-node1-quorumtool.txt", lab.quorumtool("node1"))
        _raw(out, "70-healthy-node1-cmapctl.txt", lab.run("node1", ["corosync-cmapctl"]))
        _write(out, "70-healthy-corosync.conf", lab._node("node1").path("/etc/corosync/corosync.conf").read_text())
        # the emergency: two of three nodes gone, the survivor told to expect one vote
        lab.kill("node2")
        lab.kill("node3")
        lab.wait("node1 Quorate: No", lambda: lab.quorate("node1") is False, 30)
        _raw(out, "71-alone-node1-quorumtool.txt", lab.quorumtool("node1"))
        _raw(out, "71-expected-1-node1.txt", lab.run("node1", ["corosync-quorumtool", "-e", "1"]))
        lab.wait("node1 quorate alone", lambda: lab.quorate("node1") is True, 30)
        _raw(out, "72-lowered-node1-quorumtool.txt", lab.quorumtool("node1"))
        _raw(out, "72-lowered-node1-cmapctl.txt", lab.run("node1", ["corosync-cmapctl"]))
        # the other nodes come back: does the lowered value stay?
        lab.start("node2", "node3")
        lab.wait("node1 sees 3 votes", lambda: lab.votes("node1") == 3, 40)
        time.sleep(2)
        _raw(out, "73-rejoined-node1-quorumtool.txt", lab.quorumtool("node1"))
        _raw(out, "73-rejoined-node2-quorumtool.txt", lab.quorumtool("node2"))
        lab.note("scenario votes done")
        _write(out, "7x-timeline.txt", "\n".join(lab.timeline) + "\n")

    with Lab(3, log=print) as lab:
        lab.start()
        lab.wait_all_quorate()
        # node3's nodeid edited from 3 to 7 in every node's corosync.conf, config_version bumped,
        # then only reloaded: corosync applies no nodeid change at runtime
        conf = lab.conf_text(config_version=3)
        changed = conf.replace("name: node3\n    nodeid: 3\n", "name: node3\n    nodeid: 7\n")
        assert changed != conf
        lab.write_conf(text=changed)
        _write(out, "80-nodeid-changed-corosync.conf", changed)
        _raw(out, "80-reload-node1.txt", lab.run("node1", ["corosync-cfgtool", "-R"]))
        time.sleep(2)
        _raw(out, "81-after-reload-node1-cmapctl.txt", lab.run("node1", ["corosync-cmapctl"]))
        _raw(out, "81-after-reload-node1-quorumtool.txt", lab.quorumtool("node1"))
        _raw(out, "81-after-reload-node3-cmapctl.txt", lab.run("node3", ["corosync-cmapctl"]))
        _raw(out, "81-after-reload-node1-cfgtool-s.txt", lab.run("node1", ["corosync-cfgtool", "-s"]))
        # what `forewarn collect` runs (specs/pve.py pve.corosync_cmapctl): three prefixes
        _raw(out, "81-after-reload-node3-cmapctl-collected.txt", lab.run("node3", ["sh", "-c", COLLECTED]))
        _raw(out, "81-after-reload-node2-cmapctl-collected.txt", lab.run("node2", ["sh", "-c", COLLECTED]))
        lab.note("scenario nodeid done")
        _write(out, "8x-timeline.txt", "\n".join(lab.timeline) + "\n")


if __name__ == "__main__":
    capture(Path(sys.argv[1]))
