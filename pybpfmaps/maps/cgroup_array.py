"""``CgroupArrayMap`` and ``XskMap``: arrays of descriptors the kernel takes and never gives back.

A cgroup array (Linux 4.8+) holds cgroup v2 directories, for ``bpf_current_task_under_cgroup(map,
i)`` and ``bpf_skb_under_cgroup``: ``m[i] = os.open("/sys/fs/cgroup/app", os.O_RDONLY)``. An
xskmap (Linux 4.18+) holds AF_XDP sockets (with their UMEM and rings set up), for
``bpf_redirect_map()`` from XDP: ``m[queue] = xsk_socket``. Both take the object (anything with
``fileno()``) or an fd, and ``del m[i]``; the kernel answers no lookups of them from user space,
so reading an element or iterating raises its ``NotSupportedError``.
"""

from __future__ import annotations

from typing import ClassVar

from pybpfmaps.flags import MapType
from pybpfmaps.maps.slots import WriteOnlySlots


class CgroupArrayMap(WriteOnlySlots):
    """Cgroups by index, for ``bpf_current_task_under_cgroup`` and ``bpf_skb_under_cgroup``; write-only."""

    map_type: ClassVar[MapType | None] = MapType.CGROUP_ARRAY
    holds = "cgroup"


class XskMap(WriteOnlySlots):
    """AF_XDP sockets by index (usually the receive queue), for ``bpf_redirect_map``; write-only."""

    map_type: ClassVar[MapType | None] = MapType.XSKMAP
    holds = "AF_XDP socket"
