#!/bin/sh
out=/root/out; mkdir -p $out
exec > $out/scenario.log 2>&1
set -x
systemctl --version | head -1 > $out/systemd-version.txt
uname -r > $out/uname.txt
cat /proc/sys/kernel/pid_max /proc/sys/kernel/threads-max > $out/pid_max-threads_max.txt
systemctl show -p DefaultTasksMax > $out/systemctl-show-DefaultTasksMax.txt
systemctl show -p Id,TasksMax,TasksCurrent systemd-journald.service systemd-logind.service systemd-udevd.service > $out/tasks-healthy.txt
systemd-run --unit=fwdefault.service /bin/sleep 600
systemd-run --unit=fwforks.service -p TasksMax=32 /bin/sh -c '(i=0; while [ $i -lt 60 ]; do sleep 600 & i=$((i+1)); done); exec sleep 600'
sleep 5
systemctl show -p Id,TasksMax,TasksCurrent fwforks.service fwdefault.service systemd-journald.service > $out/tasks-capped.txt
systemctl status --no-pager fwforks.service > $out/status-fwforks.txt; systemctl show -p Id,TasksMax,TasksCurrent fwforks.service > $out/tasks-fwforks-only.txt
journalctl -b -o short-iso --no-pager > $out/journal-after-forks.txt
sysctl fs.inotify.max_user_watches fs.inotify.max_user_instances > $out/sysctl-inotify-default.txt
sysctl -a > $out/sysctl-a-default.txt 2>/dev/null
cat /proc/*/fdinfo/* 2>/dev/null | grep -c '^inotify' > $out/inotify-watches-in-use.txt
sysctl -w fs.inotify.max_user_watches=8
sysctl -a > $out/sysctl-a-low.txt 2>/dev/null
timeout 5 systemd-tty-ask-password-agent --watch --console > $out/ask-password-agent.txt 2>&1
timeout 5 tail -f /etc/hostname > $out/tail-f.txt 2>&1
systemd-run --unit=fwtail.service /usr/bin/tail -f /etc/hostname
script -qec "systemctl start fwtail2.service; systemctl daemon-reload" /dev/null > $out/script-systemctl.txt 2>&1
systemctl daemon-reload
systemctl restart systemd-journald.service
systemctl restart systemd-logind.service
sleep 3
journalctl -b -o short-iso --no-pager > $out/journal-final.txt
dmesg > $out/dmesg.txt
sync
systemctl poweroff
