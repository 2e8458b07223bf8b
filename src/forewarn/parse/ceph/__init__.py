"""Ceph parsers: `ceph -s` / `ceph health detail` (text and JSON), `ceph osd pool ls detail`."""
