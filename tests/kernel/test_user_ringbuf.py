"""User ring buffers written from Python and drained by a clang-built program (tests/bpf/requests.bpf.c),
which adds up what it took in its .bss; read back through bpftool."""

from __future__ import annotations

import struct
from pathlib import Path

import attrs
import pytest

from pybpfmaps import (
    BpfArgumentError,
    BpfProgram,
    CodecError,
    MapCore,
    MapFullError,
    UserRingBufMap,
    u64,
)
from tests.support import bpftool, clang

pytestmark = pytest.mark.needs_kernel("6.1", "user ring buffers (bpf_user_ringbuf_drain)")


@attrs.frozen
class Request:
    seq: int = u64()
    value: int = u64()


@attrs.frozen
class Drained:
    drained: int
    total: int
    out_of_order: int
    short_records: int


@pytest.fixture(scope="module")
def requests_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clang.build(clang.SOURCES / "requests.bpf.c", tmp_path_factory.mktemp("requests"))


@pytest.fixture
def loaded(requests_object: Path, bpffs: Path) -> Path:
    return clang.load(requests_object, bpffs / "requests")


def drain(loaded: Path) -> Drained:
    """Run the program once (it drains every record there), then what its .bss says, as bpftool reads it."""
    with BpfProgram.from_pin(loaded / "prog" / "drain") as program:
        assert program.test_run(bytes(64)).retval == 2
    (raw,) = bpftool.dump_pinned(str(loaded / "maps" / "requests_bss")).values()
    return Drained(*struct.unpack_from("=4Q", raw))


def test_records_reach_the_program_once_in_order(loaded: Path) -> None:
    with MapCore.from_pin(loaded / "maps" / "requests", value=Request) as ring:
        assert isinstance(ring, UserRingBufMap)
        assert repr(ring).startswith("<UserRingBufMap 'requests' id=")
        assert "records=Request" in repr(ring)
        for seq in range(10):
            ring.write(Request(seq, seq * 10))
        assert drain(loaded) == Drained(10, 450, 0, 0)
        assert ring.free == 4096  # the program took them all
        assert ring.write_many(Request(seq, 1) for seq in range(10, 1000)) == 4096 // 24  # until full
        with pytest.raises(MapFullError):
            ring.write(Request(999, 1))
        assert drain(loaded) == Drained(10 + 170, 450 + 170, 0, 0)


def abandon(ring: UserRingBufMap) -> None:
    with ring.reserve(16) as space:
        space[:8] = bytes(8)
        raise RuntimeError("the record is not finished")


def test_a_reservation_is_submitted_at_the_end_of_its_block_or_discarded(loaded: Path) -> None:
    with UserRingBufMap.from_pin(loaded / "maps" / "requests") as ring:
        with ring.reserve(16) as space:
            space[:] = struct.pack("=QQ", 0, 5)
        with pytest.raises(RuntimeError):
            abandon(ring)
        ring.write(struct.pack("=QQ", 1, 7))
        ring.write(b"short")  # the program counts records too short to be requests
        assert drain(loaded) == Drained(2, 12, 0, 1)  # the discarded one never arrived


def test_bad_records_write_nothing(loaded: Path) -> None:
    with UserRingBufMap.from_pin(loaded / "maps" / "requests", value=Request) as ring:
        with pytest.raises(CodecError):
            ring.write_many([Request(0, 1), Request(1, -1)])
        with pytest.raises(BpfArgumentError):
            ring.reserve(0).__enter__()
        with pytest.raises(BpfArgumentError):
            ring.reserve(4096).__enter__()
        assert ring.free == 4096
        assert drain(loaded) == Drained(0, 0, 0, 0)
    with UserRingBufMap.create(size=4096) as untyped, pytest.raises(CodecError):
        untyped.write(42)


def test_records_typed_by_the_name_the_draining_program_gives_them(loaded: Path) -> None:
    # a user ring buffer carries no BTF; the type comes from the BTF of the program that drains it
    with UserRingBufMap.from_pin(loaded / "maps" / "requests") as ring:
        ring.open_writer("struct request")
        assert "records=request " in repr(ring)
        ring.write({"seq": 0, "value": 7})
        ring.write_many([(1, 8), {"seq": 2, "value": 9}])
        assert drain(loaded) == Drained(3, 24, 0, 0)
    (bss,) = bpftool.dump_pinned(str(loaded / "maps" / "requests_bss")).values()
    assert struct.unpack_from("=2Q", bss, 40) == (2, 9)  # the last record the program took
