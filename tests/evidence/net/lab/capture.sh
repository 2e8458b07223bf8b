#!/bin/bash
# Real `ip -j -d link`, `ip -j addr` and `sysctl -a` captures for the NET rules, made with network
# namespaces on a Debian 12 host (iproute2 6.1.0). Run as root from this directory:
#   bash capture.sh
# Every namespace made here is called fwnet-* and is deleted at the end, also on failure.
set -u
OUT=$(cd "$(dirname "$0")" && pwd)
NS=(fwnet-vxbr1500 fwnet-vxbr1500-guest fwnet-vx1500 fwnet-vx1500-guest fwnet-vx1550 fwnet-vx1550-guest fwnet-vxg1450 fwnet-vxg1450-guest fwnet-arp)
cleanup() { for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null; done; }
trap cleanup EXIT
cleanup

# $1 namespace, $2 underlay MTU, $3 guest MTU (tap and guest side), $4 explicit bridge MTU or ""
overlay() {
    local ns=$1 ul=$2 gmtu=$3 brmtu=$4
    ip netns add "$ns"; ip netns add "$ns-guest"
    # underlay: a veth pair standing in for the NIC (ens1f1 in seed 000) at MTU $ul
    ip -n "$ns" link add ens1f1 mtu "$ul" type veth peer name ens1f1-peer mtu "$ul"
    ip -n "$ns" addr add 10.0.0.22/24 dev ens1f1
    ip -n "$ns" link set ens1f1 up; ip -n "$ns" link set ens1f1-peer up
    # the overlay: vxlan on that underlay; its MTU is computed by the kernel (no mtu given)
    ip -n "$ns" link add vxlan0 type vxlan id 10 group 239.1.1.1 dstport 0 dev ens1f1
    ip -n "$ns" link add vmbr1 type bridge
    ip -n "$ns" link set vxlan0 master vmbr1
    # a guest NIC: host side veth100i0 in the bridge, guest side eth0 in another namespace
    ip -n "$ns" link add veth100i0 mtu "$gmtu" type veth peer name eth0 mtu "$gmtu" netns "$ns-guest"
    ip -n "$ns" link set veth100i0 master vmbr1
    [ -n "$brmtu" ] && ip -n "$ns" link set vmbr1 mtu "$brmtu"
    ip -n "$ns" addr add 172.31.0.102/16 dev vmbr1
    for d in vxlan0 vmbr1 veth100i0; do ip -n "$ns" link set "$d" up; done
    ip -n "$ns-guest" link set eth0 up
}

set -e
# 1. seed 000's trap: 1500-byte underlay, vxlan gets 1450, the guest NIC stays at 1500
overlay fwnet-vx1500 1500 1500 ""
ip -n fwnet-vx1500 -j -d link show > "$OUT/vx1500-ip-j-d-link.json"
ip -n fwnet-vx1500-guest -j -d link show > "$OUT/vx1500-guest-ip-j-d-link.json"
# 2. seed 000's fix (2020-08-01): underlay 1550, the vxlan comes up at 1500 by itself
overlay fwnet-vx1550 1550 1500 ""
ip -n fwnet-vx1550 -j -d link show > "$OUT/vx1550-ip-j-d-link.json"
# 3. the other fix: underlay 1500, guest NICs at 1450 (`mtu=1450` on the guest)
overlay fwnet-vxg1450 1500 1450 ""
ip -n fwnet-vxg1450 -j -d link show > "$OUT/vxg1450-ip-j-d-link.json"

# 3b. the bridge forced to 1500 by hand while its vxlan port stays at 1450
overlay fwnet-vxbr1500 1500 1500 1500
ip -n fwnet-vxbr1500 -j -d link show > "$OUT/vxbr1500-ip-j-d-link.json"

# 4. ARP flux: two interfaces with addresses in one subnet (as pv8's ens1f0/ens1f1 in seed 000)
ip netns add fwnet-arp
ip -n fwnet-arp link add ens1f0 type veth peer name sw0
ip -n fwnet-arp link add ens1f1 type veth peer name sw1
ip -n fwnet-arp link add sw type bridge
ip -n fwnet-arp link set sw0 master sw; ip -n fwnet-arp link set sw1 master sw
ip -n fwnet-arp addr add 10.0.0.12/24 dev ens1f0
ip -n fwnet-arp addr add 10.0.0.22/24 dev ens1f1
for d in ens1f0 ens1f1 sw0 sw1 sw; do ip -n fwnet-arp link set "$d" up; done
ip -n fwnet-arp -j addr show > "$OUT/arp-ip-j-addr.json"
ip netns exec fwnet-arp sysctl -a 2>/dev/null > "$OUT/arp-default-sysctl-a.txt"
ip netns exec fwnet-arp sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 > "$OUT/arp-fixed-sysctl-w.txt"
ip netns exec fwnet-arp sysctl -a 2>/dev/null > "$OUT/arp-fixed-sysctl-a.txt"
echo "captured into $OUT"
