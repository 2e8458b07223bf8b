#!/bin/bash
# How the ifquery/ifup outputs in this folder were made: Debian 12's ifupdown2 3.0.0-1.1, run from
# the unpacked .deb without installing it (installing would take over the host's networking).
#   apt-get download ifupdown2 && dpkg-deb -x ifupdown2_3.0.0-1.1_all.deb root
#   (ifupdown2 looks for its config beside its code when /etc/network/ifupdown2 is missing)
#   mkdir -p root/usr/share/ifupdown2/etc/network && cp -r root/etc/network/ifupdown2 root/usr/share/ifupdown2/etc/network/
#   ln -s $PWD/root/usr/share/ifupdown2/__main__.py ifquery; ln -s $PWD/root/usr/share/ifupdown2/__main__.py ifup
# ifquery and `ifup -s` (syntax check) only read the file; nothing is configured.
# Usage: run-ifupdown2.sh DIR_WITH_ifquery_AND_ifup
set -u
B=$1
HERE=$(cd "$(dirname "$0")" && pwd)
EV=$HERE/..
for f in "$EV"/interfaces/*.interfaces; do
    n=$(basename "$f" .interfaces)
    /usr/bin/python3 "$B/ifquery" -i "$f" -a -o json > "$HERE/$n.json"
done
# seed 000's two stanza blocks, taken from the seed lines
sed -n 126,139p "$EV/../seeds/000_ddaad953b0664170.txt" > /tmp/seed000-ifupdown.interfaces
sed -n 145,157p "$EV/../seeds/000_ddaad953b0664170.txt" > /tmp/seed000-ifupdown2.interfaces
for n in seed000-ifupdown seed000-ifupdown2; do
    /usr/bin/python3 "$B/ifquery" -i /tmp/$n.interfaces -a -o json > "$HERE/$n.json"
done
# syntax check with addon_syntax_check=1 (Debian ships 0): unknown keywords are reported
CONF=$(dirname "$(readlink -f "$B/ifup")")/etc/network/ifupdown2/ifupdown2.conf
sed -i 's/^addon_syntax_check=0/addon_syntax_check=1/' "$CONF"
for f in "$EV"/interfaces/ustc-pv2-ifupdown.interfaces "$EV"/interfaces/ustc-pv2-2021-ifupdown2.interfaces \
         /tmp/seed000-ifupdown.interfaces /tmp/seed000-ifupdown2.interfaces "$EV"/interfaces/pve-network-sdn-vxlan-basic.interfaces; do
    echo "\$ ifup -s -a -i $(basename "$f")"
    (cd "$(dirname "$f")" && /usr/bin/python3 "$B/ifup" -s -a -i "$(basename "$f")" 2>&1; echo "exit status $?")
done > "$HERE/ifup-syntax-check.txt"
sed -i 's/^addon_syntax_check=1/addon_syntax_check=0/' "$CONF"
