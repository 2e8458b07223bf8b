"""The API's JSON parsers on any JSON at all (lists of odd objects, wrong types, nesting): a
Parsed value or problems, never an exception (tests/test_parsers_fuzz.py covers text and bytes)."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from forewarn.parse import all_parsers

PARSERS = all_parsers()

API_SPECS = sorted(s for s in PARSERS if ".api_" in s)
KEYS = st.sampled_from(["type", "id", "node", "status", "state", "sid", "quorate", "storage", "plugintype",
                        "disk", "maxdisk", "active", "enabled", "total", "used", "avail", "data", "name",
                        "guest", "jobnum", "target", "last_sync", "next_sync", "fail_count", "error", "pid",
                        "duration", "disable", "Package", "OldVersion", "CurrentState", "RunningKernel",
                        "ManagerVersion", "n", "t", "digest", "description", "scsi0", "rootfs", "mp0", "lock"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30) | \
    st.sampled_from(["quorum", "master", "lrm", "service", "storage", "fencing", "available", "vm:100", "ct:x",
                     "100-0", "Installed", "ConfigFiles", "TASK ERROR: x", "local-lvm:vm-100-disk-0,size=8G"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
                      max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(value=VALUES, wrap=st.booleans(), pretty=st.booleans())
def test_api_parsers_never_raise(value: object, wrap: bool, pretty: bool) -> None:
    assert API_SPECS, "no API parser registered"
    text = json.dumps({"data": value} if wrap else value, indent=1 if pretty else None)
    for spec in API_SPECS:
        parsed = PARSERS[spec](text)
        assert parsed.value is not None or parsed.problems
