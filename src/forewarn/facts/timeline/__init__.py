"""The incident timeline: every node's cluster events on one time axis.

`build_timeline(ctx)` merges the log events of all nodes (corosync/knet/totem/votequorum,
pmxcfs, the HA stack, the watchdog, boots and shutdowns, NFS, hung tasks, OOM kills, kubelet
and nova-compute errors) into one ordered list, reconstructs each node's state over time
(quorate or not, which membership ring, the HA agents' states), and groups the bursts into
episodes that read like a post-mortem.

Clocks. Traditional syslog has no year (facts/logs.py infers it from the bundle's time) and no
zone: its times are taken as the node's local time, in the zone given per node or for all
(`--tz`); stamps with an offset (ISO, journal JSON) are exact. Node clocks may disagree: the
same membership ring id is formed on every member within about a second, so each ring id
logged by several nodes is an anchor, and the median difference per node is its clock
offset. Offsets of 2 s and more are corrected before ordering, and the timeline says so.
Logs without any timestamp keep their line order and say that the times are unknown.

Episodes. This is the one episode model: facts/corosync_episodes.py reads each node's corosync
trouble, and this module lines the nodes up into cluster-wide episodes that also hold what
followed (pmxcfs resyncs, HA locks, quorum regained: the recovery events). PVE102 reports these
episodes (`timeline_of(ctx)`, `Episode.corosync`), with the same spans and numbers as the timeline.
Fences are found by facts/fencing.py (the same fences PVE103 reports); this module lines them up.

Words. This package holds what happened, not how it is said: an event's summary and an episode's
story are report/timeline_words.py and report/timeline_story.py; the words a rule shares with
the reports (durations, spans, lists) are facts/words.py.
"""

from forewarn.facts.timeline.build import build_timeline, timeline_of
from forewarn.facts.timeline.model import Episode, Interval, Lane, TEvent, Timeline
from forewarn.facts.timeline.zones import parse_zone

__all__ = ["Episode", "Interval", "Lane", "TEvent", "Timeline", "build_timeline", "parse_zone", "timeline_of"]
