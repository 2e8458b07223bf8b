"""Kubernetes node evidence: kubelet, kube-proxy, apiserver, container runtimes, Calico, logs.

Each spec is a file at its usual path on a kubeadm-style node, or a command. Any `k8s.*`
record in a bundle tells the engine that Kubernetes runs there (the K8S rules apply).
"""

from forewarn.specs._base import spec

_KLOG = r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ [\w.\-]+:\d+\] "

spec("k8s.kubelet_config", "file", "/var/lib/kubelet/config.yaml",
     "kubelet configuration (KubeletConfiguration: clusterDNS, featureGates, cgroupDriver)",
     names=("kubelet-config*", "kubelet_config*", "kubelet.config*"),
     sniff=(r"^kind:\s*KubeletConfiguration\s*$", r"^apiVersion:\s*kubelet\.config\.k8s\.io/"))
spec("k8s.kubelet_dropin", "file",
     "/etc/systemd/system/kubelet.service.d/10-kubelet.conf"
     "|/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"
     "|/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
     "|/var/lib/kubelet/kubeadm-flags.env",
     "kubelet systemd drop-in and flag files (Environment=KUBELET_*, ExecStart flags)",
     names=("10-kubelet.conf*", "10-kubeadm.conf*", "kubeadm-flags.env*", "kubelet.service*"),
     sniff=(r'^\s*Environment="?KUBELET_\w+=', r"^\s*KUBELET_KUBEADM_ARGS=", r"^\s*ExecStart=\S*kubelet\b"),
     multi=True)
spec("k8s.kube_proxy_config", "file", "/var/lib/kube-proxy/config.conf",
     "kube-proxy configuration (KubeProxyConfiguration, or the kube-proxy ConfigMap)",
     names=("kube-proxy*", "kube_proxy*", "kubeproxy*"),
     sniff=(r"^\s*kind:\s*KubeProxyConfiguration\s*$", r"^\s*apiVersion:\s*kubeproxy\.config\.k8s\.io/",
            r"^\s*nodePortAddresses:"))
spec("k8s.apiserver_manifest", "file", "/etc/kubernetes/manifests/kube-apiserver.yaml",
     "kube-apiserver static pod manifest (its command-line flags)",
     names=("kube-apiserver*.yaml", "kube-apiserver*.manifest", "kube_apiserver*"),
     sniff=(r"^\s*-\s*kube-apiserver\s*$", r"^\s*-\s*--service-cluster-ip-range="))
spec("k8s.kubeadm_config", "command", "kubectl -n kube-system get configmap kubeadm-config -o yaml",
     "kubeadm ClusterConfiguration (service and pod subnets, Kubernetes version)",
     names=("kubeadm-config*", "kubeadm_config*"),
     sniff=(r"^\s*kind:\s*ClusterConfiguration\s*$",), sniff_weight=6, data=True)
spec("k8s.containerd_config", "file", "/etc/containerd/config.toml",
     "containerd configuration (sandbox_image, snapshotter, SystemdCgroup)",
     names=("config.toml*", "containerd*.toml*"),
     sniff=(r'^\s*\[plugins\."io\.containerd\.', r"^\s*sandbox_image\s*="))
spec("k8s.docker_info", "command", "docker info",
     "Docker daemon facts (storage driver, d_type, cgroup driver, kernel)",
     names=("docker-info*", "docker_info*"),
     sniff=(r"^\s*Storage Driver: \S+", r"^\s*Server Version: \S+", r"^\s*Supports d_type: "))
spec("k8s.calico_ippool", "command", "calicoctl get ippool -o yaml",
     "Calico IP pools (IPIP / VXLAN / BGP mode): IPPool YAML, `calicoctl get ippool -o wide`, "
     "or the calico-node CALICO_IPV4POOL_IPIP setting",
     names=("ippool*", "calico*ippool*", "calico-node*"),
     sniff=(r"^\s*kind:\s*(IPPool|IPPoolList|ipPool)\s*$", r"CALICO_IPV4POOL_IPIP",
            r"^\s*CIDR\s+NAT\s+IPIP", r"^\s*NAME\s+CIDR\s+.*IPIPMODE"), data=True)
spec("k8s.nodes", "command", "kubectl get nodes -o wide",
     "cluster nodes with their kubelet versions",
     names=("nodes*", "get-nodes*", "kubectl-get-nodes*"),
     sniff=(r"^\s*NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION",), sniff_weight=8, data=True)
spec("k8s.container_log", "log", "/var/log/containers/*.log|/var/log/pods/*/*/*.log",
     "container logs and runtime error text: `docker logs`, `kubectl logs`, `crictl logs`, "
     "/var/log/containers, or output pasted from docker, kubectl or ctr",
     names=("docker-logs*", "kubectl-logs*", "crictl-logs*", "container*.log*", "kube-apiserver*.log*",
            "istio-init*", "kube-proxy*.log*"),
     sniff=(_KLOG, r"OCI runtime (create|exec) failed", r"^\{\"log\":\"",
            r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\S* (stdout|stderr) [FP] ", r"^iptables-restore: line \d+ failed",
            r"^IPVS: \w+: (TCP|UDP|SCTP) "),
     multi=True, timeout=60)

# A generic host spec, declared here (not in host.py, which other work edits) because the
# K8S rules are its first users: the XFS geometry of the container runtime's file system.
spec("host.xfs_info", "command", "xfs_info <mount point of /var/lib/docker or /var/lib/containerd>",
     "XFS geometry (ftype=1 means d_type support, which overlayfs needs)",
     names=("xfs_info*", "xfs-info*"),
     sniff=(r"^meta-data=\S+\s+isize=\d+", r"^naming\s+=version \d+\s+bsize=\d+"), multi=True,
     collect=("seen=\nfor d in {root}/var/lib/docker {root}/var/lib/containerd; do\n"
              "  [ -d \"$d\" ] || continue\n"
              "  [ \"$(findmnt -rn -o FSTYPE -T \"$d\")\" = xfs ] || continue\n"
              "  t=$(findmnt -rn -o TARGET -T \"$d\")\n"
              "  [ \"$t\" = \"$seen\" ] && continue\n"
              "  seen=$t\n  xfs_info \"$t\"\ndone"),
     applies_if=("command -v xfs_info && [ -n \"$(for d in {root}/var/lib/docker {root}/var/lib/containerd; "
                 "do [ -d \"$d\" ] && findmnt -rn -o FSTYPE -T \"$d\"; done | grep -x xfs)\" ]"
                 "  # no container runtime directory on XFS"), data=True)
