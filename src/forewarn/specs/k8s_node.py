"""Kubernetes node evidence for the node-level rules (CNI, flannel, etcd, node conditions, swap).

Kept apart from k8s.py so that several people can add specs at once without merge conflicts.
"""

from forewarn.specs._base import spec

spec("k8s.flannel_subnet_env", "file", "/run/flannel/subnet.env",
     "flannel's network and this node's subnet lease (FLANNEL_NETWORK, FLANNEL_SUBNET)",
     names=("subnet.env*", "flannel-subnet*", "flannel_subnet*"),
     sniff=(r"^FLANNEL_NETWORK=\S+$", r"^FLANNEL_SUBNET=\S+$"), sniff_weight=10)
spec("k8s.cni_conf", "file", "/etc/cni/net.d/*.conf|/etc/cni/net.d/*.conflist",
     "CNI network configurations (the plugin executables each one chains)",
     names=("*.conflist",),
     sniff=(r'"cniVersion"\s*:\s*"[\d.]+"',), sniff_weight=8, multi=True)
spec("k8s.cni_bin", "command", "ls -l /opt/cni/bin",
     "CNI plugin executables present on the node",
     names=("ls-opt-cni-bin*", "opt-cni-bin*", "cni-bin*", "cni_bin*"),
     sniff=(r"^-rwx\S*\s+\d+\s+\S+\s+\S+\s+\d+\s.*\s(?:portmap|loopback|host-local|calico-ipam|bridge|flannel)$",),
     sniff_weight=6, data=True)
# etcdctl needs the etcd client certificates of a kubeadm control-plane node; elsewhere it is skipped
_ETCD_PKI = "/etc/kubernetes/pki/etcd"
spec("k8s.etcd_endpoint_status", "command", "etcdctl endpoint status -w table",
     "etcd members' database size, leader and alarms (`etcdctl endpoint status`, table or simple format)",
     names=("etcdctl-endpoint-status*", "etcd-endpoint-status*", "etcd_endpoint_status*", "etcd-status*"),
     sniff=(r"^\|\s+ENDPOINT\s+\|\s+ID\s+\|\s+VERSION\s+\|\s+DB SIZE\s+\|",
            r"^\S+:\d+, [0-9a-f]{12,16}, \d+\.\d+\.\d+, \d+(?:\.\d+)? [kMGT]?B, (?:true|false), "),
     collect=(f"etcdctl --endpoints=https://127.0.0.1:2379 --cacert={_ETCD_PKI}/ca.crt "
              f"--cert={_ETCD_PKI}/healthcheck-client.crt --key={_ETCD_PKI}/healthcheck-client.key "
              "--command-timeout=10s endpoint status -w table"),
     applies_if=f"command -v etcdctl && [ -r {_ETCD_PKI}/healthcheck-client.crt ]  # not a kubeadm etcd member",
     data=True)
spec("k8s.describe_node", "command", "kubectl describe node",
     "node conditions (Ready, DiskPressure, MemoryPressure, PIDPressure), taints, allocatable and events",
     names=("*describe-node*", "*describe_node*", "*describe-nodes*", "*describe_nodes*"),
     sniff=(r"^\s+Type\s+Status\s+LastHeartbeatTime\s+LastTransitionTime\s+Reason\s+Message",
            r"^Taints:\s+\S", r"^Allocatable:\s*$", r"^\s+(?:Memory|Disk|PID)Pressure\s+(?:True|False|Unknown)\s"),
     sniff_weight=10, timeout=60,
     applies_if="command -v kubectl && kubectl version --request-timeout=5s >/dev/null 2>&1  # kubectl cannot reach the API server")
