#!/bin/sh
# Real `ip -j addr` captures of the seed 003 address layouts, made in network namespaces on the
# forewarn development machine (Linux netns + veth; the peer ends stay in the root namespace).
# Run as root; it removes what it creates.  Output: lab-*-ip-j-addr.json beside this script.
set -eu
cd "$(dirname "$0")"
mk() {  # mk NS IFNAME ADDR/PREFIX
    ip link add "v$1$2" type veth peer name "w$1$2"
    ip link set "v$1$2" netns "$1"
    ip -n "$1" link set "v$1$2" name "$2"
    ip -n "$1" addr add "$3" dev "$2"
    ip -n "$1" link set "$2" up
}
cleanup() {  # deleting a namespace deletes the veth ends inside it, and with them their peers
    for ns in fwc3 fwc1 fwctl; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
# compute3 as in seed 003 §5: eth1 = network_interface (192.168.56.0/24), eth0 and eth2 in one subnet
ip netns add fwc3; ip -n fwc3 link set lo up
mk fwc3 eth0 172.16.10.113/24; mk fwc3 eth1 192.168.56.113/24; mk fwc3 eth2 172.16.10.213/24
ip -n fwc3 -j addr > lab-compute3-same-subnet-ip-j-addr.json
# compute1 with one subnet per NIC (the layout the seed ends with)
ip netns add fwc1; ip -n fwc1 link set lo up
mk fwc1 eth0 172.16.10.111/24; mk fwc1 eth1 192.168.56.111/24; mk fwc1 eth2 172.16.20.111/24
ip -n fwc1 -j addr > lab-compute1-one-subnet-per-nic-ip-j-addr.json
# the controller of seed 003: network_interface eth1 = 192.168.56.110; nothing holds .120
ip netns add fwctl; ip -n fwctl link set lo up
mk fwctl eth0 172.16.10.110/24; mk fwctl eth1 192.168.56.110/24; mk fwctl eth2 172.16.20.110/24
ip -n fwctl -j addr > lab-controller-ip-j-addr.json
ip -V > lab-versions.txt; uname -r >> lab-versions.txt
