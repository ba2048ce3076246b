"""``BpfProgram``: a loaded BPF program — assembled with ``pybpfmaps.asm``, or from a clang-built
object (``BpfObject``) — run on test packets, attached (XDP, tc, cgroups, maps) or linked (XDP,
tcx, tracepoints, kprobes, raw tracepoints, tracing programs).
"""

from __future__ import annotations

import errno
import os
import struct
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from pybpfmaps import _netlink, asm, links
from pybpfmaps._sys import commands, perf
from pybpfmaps._sys import netns as netns_calls
from pybpfmaps._sys.fd import Fd, read_fdinfo
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.attachments import Attachment, TcAttachment, XdpAttachment
from pybpfmaps.errors import BpfArgumentError, ClosedMapError, VerifierError, from_raw
from pybpfmaps.flags import AttachType, ProgType
from pybpfmaps.links import BpfLink

if TYPE_CHECKING:
    from typing_extensions import Self

LOG_SIZE = 1 << 20
MAX_ARGUMENTS = 12
"""The most arguments a raw tracepoint program is run with (MAX_BPF_FUNC_ARGS)."""


@attrs.frozen
class TestRun:
    """What one BPF_PROG_TEST_RUN gave: the return value, the packet afterwards, the ns per run."""

    __test__ = False  # not a pytest test class

    retval: int
    packet: bytes
    duration_ns: int


class BpfProgram:
    """A loaded BPF program; closing it (or ``with``) releases this process's reference."""

    def __init__(self, fd: Fd, prog_type: ProgType, name: str, log: str) -> None:
        """Take ownership of *fd*; use ``load()``."""
        self._fd = fd
        self.prog_type = prog_type
        self.name = name
        self.log = log
        """What the verifier said when it accepted the program."""

    @classmethod
    def load(
        cls,
        program: bytes | Iterable[asm.Item],
        prog_type: ProgType = ProgType.XDP,
        *,
        license: str = "GPL",
        name: str = "",
        attach_type: AttachType | None = None,
        btf: tuple[int, bytes, bytes] | None = None,
        attach_btf_id: int = 0,
        flags: int = 0,
    ) -> Self:
        """Load instructions (``asm`` items or assembled bytes) as a program of *prog_type*;
        *attach_type* is where it will run, for the types that must say so at load time (an XDP
        program for devmap or cpumap entries: ``AttachType.XDP_DEVMAP``). *btf*: the fd of the
        program's BTF and its func and line info records (what lets the verifier quote C lines).
        *attach_btf_id*: for a tracing program (fentry, fexit, tp_btf...), the id in the kernel's
        BTF of the function or tracepoint it is for. *flags*: ``BPF_F_SLEEPABLE``, ``BPF_F_XDP_HAS_FRAGS``...

        Raises:
            VerifierError: the kernel refused the program; ``.log`` says why.
            BpfPermissionError: no CAP_BPF (CAP_SYS_ADMIN before 5.8) / not root.
        """
        code = program if isinstance(program, bytes) else asm.assemble(program)
        if not code or len(code) % 8:
            raise BpfArgumentError(f"a program is whole 8-byte instructions, got {len(code)} bytes")
        if len(name) > 15 or not all(c.isalnum() or c in "_." for c in name) or not name.isascii():
            raise BpfArgumentError(f"invalid program name {name!r}: at most 15 characters from [A-Za-z0-9_.]")
        label = f"{prog_type.name.lower()} program '{name}'" if name else f"{prog_type.name.lower()} program"
        try:
            expected = int(attach_type) if attach_type is not None else 0
            number, log = commands.prog_load(
                int(prog_type),
                code,
                license.encode() + b"\0",
                name.encode(),
                LOG_SIZE,
                expected,
                btf,
                attach_btf_id,
                flags,
            )
        except RawBpfError as exc:
            if exc.errno in (errno.EACCES, errno.EINVAL) and exc.log:
                error = VerifierError(exc.errno, "the verifier refused it:\n" + exc.log.strip(), command=exc.command,
                                      map_label=label)  # fmt: skip
                error.log = exc.log
                raise error from None
            raise from_raw(exc, map_label=label) from None
        return cls(Fd(number, label), prog_type, name, log)

    @classmethod
    def from_pin(cls, path: str | os.PathLike[str]) -> Self:
        """Open the program pinned at *path* (``bpftool prog loadall OBJ DIR`` pins each under DIR)."""
        label = f"pin {os.fspath(path)!r}"
        try:
            fd = Fd(commands.obj_get(os.fsencode(path), 0), label)
        except RawBpfError as exc:
            raise from_raw(exc, map_label=label) from None
        if "prog_type" not in read_fdinfo(fd.fileno()):
            fd.close()
            raise BpfArgumentError(f"{label} is not a program")
        return cls._adopt(fd, label)

    def pin(self, path: str | os.PathLike[str]) -> None:
        """Pin the program at *path* on a bpf filesystem, so it outlives this process (``from_pin`` opens it)."""
        try:
            commands.obj_pin(self.fileno(), os.fsencode(path))
        except RawBpfError as exc:
            raise from_raw(exc, map_label=self._fd.label) from None

    @classmethod
    def from_id(cls, prog_id: int) -> Self:
        """Open the loaded program with kernel id *prog_id* (a prog array's value, ``bpftool prog``);
        needs CAP_SYS_ADMIN. Its ``prog_type`` is a ``ProgType``, or the kernel's number for others."""
        label = f"program id {prog_id}"
        try:
            fd = Fd(commands.prog_get_fd_by_id(prog_id), label)
        except RawBpfError as exc:
            raise from_raw(exc, map_label=label) from None
        return cls._adopt(fd, label)

    @classmethod
    def _adopt(cls, fd: Fd, label: str) -> Self:
        try:
            number, _, name = commands.prog_get_info(fd.fileno())
        except RawBpfError as exc:
            fd.close()
            raise from_raw(exc, map_label=label) from None
        known = number in ProgType._value2member_map_
        return cls(fd, ProgType(number) if known else number, name, "")  # type: ignore[arg-type]

    def fileno(self) -> int:
        """The program's fd, owned by this object."""
        number = self._fd.fileno()
        if number < 0:
            raise ClosedMapError(f"operation on closed {self._fd.label}")
        return number

    @property
    def id(self) -> int:
        """The program's kernel id."""
        return int(read_fdinfo(self.fileno())["prog_id"])

    def test_run(self, packet: bytes, *, repeat: int = 1) -> TestRun:
        """Run the program on *packet* with BPF_PROG_TEST_RUN (no interface involved)."""
        try:
            retval, out, duration = commands.prog_test_run(self.fileno(), bytes(packet), len(packet) + 256, repeat)
        except RawBpfError as exc:
            raise from_raw(exc, map_label=self._fd.label) from None
        return TestRun(retval, out, duration)

    def run_with_arguments(self, *arguments: int) -> int:
        """Run a ``RAW_TRACEPOINT`` program once with these tracepoint arguments (u64 each) as its
        context, by BPF_PROG_TEST_RUN (Linux 5.10+); its return value."""
        if len(arguments) > MAX_ARGUMENTS:
            raise BpfArgumentError(f"a raw tracepoint takes at most {MAX_ARGUMENTS} arguments, got {len(arguments)}")
        try:
            context = struct.pack(f"={len(arguments)}Q", *(value & (2**64 - 1) for value in arguments))
        except (struct.error, TypeError) as exc:
            raise BpfArgumentError(f"tracepoint arguments are integers: {exc}") from None
        try:
            retval: int = commands.prog_test_run_context(self.fileno(), context)
        except RawBpfError as exc:
            raise from_raw(exc, map_label=self._fd.label) from None
        return retval

    def attach_cgroup(self, cgroup: str | os.PathLike[str] | int, attach_type: AttachType) -> Attachment:
        """Attach this program to a cgroup v2 (its directory's path, or an open fd of it) at
        *attach_type*; detach with the returned object's ``detach()`` or a ``with`` block."""
        if isinstance(cgroup, int):
            return self._attach(os.dup(cgroup), attach_type, "cgroup")
        try:
            fd = os.open(cgroup, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise BpfArgumentError(f"cannot open cgroup {cgroup!r}: {exc.strerror}") from None
        return self._attach(fd, attach_type, "cgroup")

    def attach_map(self, target: Any, attach_type: AttachType) -> Attachment:
        """Attach this program to a map (a sockmap or sockhash: ``AttachType.SK_SKB_VERDICT`` and
        friends) at *attach_type*; detach with the returned object's ``detach()`` or ``with``.
        Sockets added to the map after this run the program; those added before do not."""
        return self._attach(os.dup(target.fileno()), attach_type, "map")

    def _attach(self, target_fd: int, attach_type: AttachType, what: str) -> Attachment:
        """BPF_PROG_ATTACH to *target_fd*, which the attachment then owns (closed here on failure)."""
        try:
            commands.prog_attach(target_fd, self.fileno(), int(attach_type))
        except RawBpfError as exc:
            os.close(target_fd)
            raise from_raw(exc, map_label=self._fd.label) from None
        return Attachment(target_fd, os.dup(self.fileno()), attach_type, what)

    def attach_xdp(self, interface: str | int, *, netns: str | None = None, mode: str = "native") -> XdpAttachment:
        """Attach this XDP program to an interface (by name or index) of a network namespace.

        *mode* is ``"native"`` (in the driver) or ``"generic"`` (after the kernel built an skb).
        Detach with the returned object's ``detach()`` or a ``with`` block.
        """
        _xdp_flags(mode)
        index = _netlink.interface_index(interface, netns)
        _netlink.attach_xdp(index, self.fileno(), mode, netns)
        return XdpAttachment(index, mode, netns)

    def attach_xdp_link(self, interface: str | int, *, netns: str | None = None, mode: str = "native") -> BpfLink:
        """Attach this XDP program to an interface (by name or index) of a network namespace through
        a link (5.9+): nothing else can replace it while the link lives, and the link can be pinned.
        *mode* as for ``attach_xdp``."""
        what = f"xdp program {self.name!r} on {interface}"
        return self._link_to(interface, netns, AttachType.XDP, what, _xdp_flags(mode))

    def attach_tc(self, interface: str | int, direction: str = "ingress", *, netns: str | None = None) -> TcAttachment:
        """Attach this tc program (``ProgType.SCHED_CLS``) to an interface's ingress or egress as a
        direct-action ``bpf`` filter of the ``clsact`` qdisc, through netlink (any kernel since 4.5;
        ``attach_tcx`` makes a link instead, from 6.6). Detach with ``detach()`` or ``with``."""
        if direction not in _netlink.TC_PARENTS:
            raise BpfArgumentError(f"direction must be 'ingress' or 'egress', got {direction!r}")
        index = _netlink.interface_index(interface, netns)
        priority = _netlink.attach_tc(index, self.fileno(), self.name or "pybpfmaps", direction, netns)
        return TcAttachment(index, direction, priority, netns)

    def attach_tcx(self, interface: str | int, direction: str = "ingress", *, netns: str | None = None) -> BpfLink:
        """Attach this tc program (``ProgType.SCHED_CLS``) to an interface's ingress or egress
        through a tcx link (6.6+)."""
        types = {"ingress": AttachType.TCX_INGRESS, "egress": AttachType.TCX_EGRESS}
        if direction not in types:
            raise BpfArgumentError(f"direction must be 'ingress' or 'egress', got {direction!r}")
        what = f"tc program {self.name!r} on {interface} {direction}"
        return self._link_to(interface, netns, types[direction], what, 0)

    def _link_to(
        self, interface: str | int, netns: str | None, attach_type: AttachType, what: str, flags: int
    ) -> BpfLink:
        index = _netlink.interface_index(interface, netns)
        if netns is None:
            return links.create(self.fileno(), index, attach_type, what, flags)
        return netns_calls.call_in(_netlink.netns_path(netns),
                                   lambda: links.create(self.fileno(), index, attach_type, what, flags))  # fmt: skip

    def attach_tracepoint(self, category: str, name: str | None = None) -> BpfLink:
        """Attach this tracepoint program to ``category/name`` (``"syscalls", "sys_enter_openat"``, or
        ``"syscalls/sys_enter_openat"`` alone)."""
        if name is None:
            category, _, name = category.partition("/")
        where = f"tracepoint {category}/{name}"
        return links.perf_event(self.fileno(), perf.PERF_TYPE_TRACEPOINT, links.tracepoint_id(category, name),
                                f"program {self.name!r} on {where}")  # fmt: skip

    def attach_kprobe(self, function: str, *, retprobe: bool = False, offset: int = 0) -> BpfLink:
        """Attach this kprobe program at the entry of kernel *function* (plus *offset* bytes), or at
        its return (*retprobe*)."""
        pmu, return_bit = links.kprobe_type()
        kind = "kretprobe" if retprobe else "kprobe"
        return links.perf_event(self.fileno(), pmu, return_bit if retprobe else 0,
                                f"program {self.name!r} on {kind} {function}", function, offset)  # fmt: skip

    def attach_raw_tracepoint(self, name: str) -> BpfLink:
        """Attach this raw tracepoint program to tracepoint *name* (``"sched_switch"``)."""
        return links.raw_tracepoint(self.fileno(), name, f"program {self.name!r} on raw tracepoint {name}")

    def attach_tracing(self) -> BpfLink:
        """Attach this tracing program (fentry, fexit, fmod_ret, tp_btf, lsm) to the kernel function
        or tracepoint it was loaded for."""
        return links.raw_tracepoint(self.fileno(), None, f"tracing program {self.name!r}")

    def close(self) -> None:
        """Release this object's fd; safe to call twice."""
        self._fd.close()

    def __enter__(self) -> Self:
        self.fileno()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._fd.closed else f"id={self.id}"
        return f"<BpfProgram {self.prog_type.name} {self.name!r} {state}>"


def _xdp_flags(mode: str) -> int:
    """The XDP flags of *mode*, or the error that names the modes there are."""
    if mode not in _netlink.XDP_MODES:
        raise BpfArgumentError(f"mode must be 'native' or 'generic', got {mode!r}")
    return _netlink.XDP_MODES[mode]
