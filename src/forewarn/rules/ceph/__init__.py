"""CEPH: hyper-converged and external Ceph, from `ceph -s` / `ceph health detail` and the pools."""
