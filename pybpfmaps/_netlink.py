"""The one place that uses pyroute2: interface names and indexes, network namespaces, XDP attachment.

pyroute2's ``NetlinkError`` is translated into pybpfmaps errors here, so nothing else sees it.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pybpfmaps.errors import BpfArgumentError, BpfSyscallError

XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_FLAGS_SKB_MODE = 1 << 1
XDP_FLAGS_DRV_MODE = 1 << 2
XDP_MODES = {"native": XDP_FLAGS_DRV_MODE, "generic": XDP_FLAGS_SKB_MODE}
"""The XDP flags of each mode: in the driver, or after the kernel built an skb."""


NETNS_DIR = "/var/run/netns"
"""Where ``ip netns add`` (and pyroute2) keep named network namespaces."""


def netns_path(netns: str) -> str:
    """The file of network namespace *netns* (a name, or a path such as ``/proc/1/ns/net``); it must exist.

    pyroute2 would create a namespace it does not find: a typo would make a new, empty one.
    """
    path = netns if "/" in netns else os.path.join(NETNS_DIR, netns)
    if not netns or not os.path.exists(path):
        raise BpfArgumentError(f"no network namespace {netns!r} ({path} does not exist; 'ip netns list' shows them)")
    return path


@contextmanager
def _route(netns: str | None) -> Iterator[Any]:
    # imported on first use: pyroute2 takes longer to import than the rest of pybpfmaps
    from pyroute2 import IPRoute  # noqa: PLC0415
    from pyroute2.netlink.exceptions import NetlinkError  # noqa: PLC0415

    try:
        if netns is not None:
            try:
                route = IPRoute(netns=netns_path(netns), flags=0)  # flags=0: never create it
            except OSError as exc:
                raise BpfArgumentError(f"cannot enter network namespace {netns!r}: {exc.strerror or exc}") from None
        else:
            route = IPRoute()
        with route as ipr:
            yield ipr
    except NetlinkError as exc:
        where = f" in network namespace {netns!r}" if netns else ""
        raise BpfSyscallError(exc.code, f"netlink{where}: {exc}", command=None, map_label=None) from None


def interfaces(netns: str | None = None) -> dict[str, int]:
    """Every interface of a network namespace (``None``: this process's) by name, with its index."""
    with _route(netns) as ipr:
        return {link.get("ifname"): link["index"] for link in ipr.get_links()}


def interface_index(interface: str | int, netns: str | None = None) -> int:
    """*interface* as an index: an index as it is, a name looked up."""
    return interface if isinstance(interface, int) else index_of(interface, netns)


def index_of(name: str, netns: str | None = None) -> int:
    """The index of the interface called *name*."""
    with _route(netns) as ipr:
        found = ipr.link_lookup(ifname=name)
    if not found:
        where = f" in network namespace {netns!r}" if netns else ""
        raise BpfArgumentError(f"no interface called {name!r}{where}")
    return int(found[0])


def attach_xdp(index: int, fd: int, mode: str, netns: str | None = None) -> None:
    """Attach the XDP program *fd* to interface *index*, in ``native`` (driver) or ``generic`` (skb) mode."""
    with _route(netns) as ipr:
        ipr.link("set", index=index, xdp={"attrs": [("IFLA_XDP_FD", fd), ("IFLA_XDP_FLAGS", XDP_MODES[mode])]})


def detach_xdp(index: int, mode: str, netns: str | None = None) -> None:
    """Remove the XDP program of interface *index*."""
    with _route(netns) as ipr:
        ipr.link("set", index=index, xdp={"attrs": [("IFLA_XDP_FD", -1), ("IFLA_XDP_FLAGS", XDP_MODES[mode])]})


def xdp_program_id(index: int, netns: str | None = None) -> int:
    """The id of the XDP program attached to interface *index*, 0 if none."""
    with _route(netns) as ipr:
        (link,) = ipr.get_links(index)
    xdp = link.get("IFLA_XDP") or {}
    return int(xdp.get("IFLA_XDP_PROG_ID", 0)) if hasattr(xdp, "get") else 0


TC_PARENTS = {"ingress": "ffff:fff2", "egress": "ffff:fff3"}
"""The clsact qdisc's ingress and egress hooks (``TC_H_MIN_INGRESS``, ``TC_H_MIN_EGRESS``)."""


def attach_tc(index: int, fd: int, name: str, direction: str, netns: str | None = None) -> int:
    """Attach the tc program *fd* to interface *index*'s *direction* as a direct-action ``bpf``
    filter (adding the ``clsact`` qdisc if missing), after the filters there; its priority."""
    from pyroute2.netlink.exceptions import NetlinkError  # noqa: PLC0415 - pyroute2 is imported on first use

    parent = TC_PARENTS[direction]
    with _route(netns) as ipr:
        try:
            ipr.tc("add", "clsact", index)
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise
        taken = [f["info"] >> 16 for f in ipr.get_filters(index, parent=int(parent.replace(":", ""), 16))]
        priority = max(taken, default=0) + 1
        ipr.tc("add-filter", "bpf", index, ":1", fd=fd, name=name, parent=parent, classid=1, direct_action=True,
               prio=priority)  # fmt: skip
    return priority


def detach_tc(index: int, direction: str, priority: int, netns: str | None = None) -> None:
    """Remove the filter of priority *priority* from interface *index*'s *direction* (the qdisc stays)."""
    with _route(netns) as ipr:
        ipr.tc("del-filter", "bpf", index, ":1", parent=TC_PARENTS[direction], prio=priority)
