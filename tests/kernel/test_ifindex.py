"""The ifindex codec: interface names in, names out, per network namespace, checked against the kernel."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from pyroute2 import IPRoute, netns

from pybpfmaps import (
    ArrayMap,
    BatchUpdateError,
    BpfArgumentError,
    CodecError,
    HashMap,
    IfindexCodec,
    codec_for,
    ifindex,
    u32,
    u64,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "hash and array maps with BTF")

ROOT = Path(__file__).parents[2]


@attrs.frozen
class Route:
    dev: str | int = ifindex()
    mark: int = u32()


def test_names_become_indexes_and_back(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=ifindex, value=u64, max_entries=8)
    m["lo"] = 5
    assert bpftool.dump(m.id) == {struct.pack("=I", 1): struct.pack("=Q", 5)}
    assert m[1] == 5
    assert list(m) == ["lo"]
    assert m.update_many({"lo": 6, 123456: 7}) == 2
    assert m.copy() == {"lo": 6, 123456: 7}  # no interface has index 123456: the number comes back
    with pytest.raises(CodecError, match="ifindex cannot encode 'no-such-if0': this network namespace has no"):
        m["no-such-if0"] = 1
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many({"lo": 1, "no-such-if0": 2})
    assert (caught.value.applied, caught.value.failed_key) == (0, "no-such-if0")
    assert m["lo"] == 6


def test_names_are_per_network_namespace(make_map: MakeMap, veth: tuple[str, str]) -> None:
    ns, inside = veth
    with IPRoute(netns=ns) as ipr:
        index = ipr.link_lookup(ifname=inside)[0]
    there = IfindexCodec(netns=ns)
    assert repr(there) == f"ifindex(netns={ns!r})"
    assert there.pack(inside) == struct.pack("=I", index)
    assert there.unpack(struct.pack("=I", index)) == inside
    with pytest.raises(CodecError, match=f"network namespace {ns!r} has no interface"):
        there.pack("lo-not-here")
    a = make_map(ArrayMap, value=there, max_entries=2)
    a[0] = inside
    assert bpftool.dump(a.id)[struct.pack("=I", 0)] == struct.pack("=I", index)
    assert a[0] == inside


def test_in_structs() -> None:
    codec = codec_for(Route)
    data = codec.pack(Route("lo", 7))
    assert data == struct.pack("=II", 1, 7)
    assert codec.unpack(data) == Route("lo", 7)
    assert codec.unpack_many(data * 2, 2) == [Route("lo", 7)] * 2


def test_a_missing_network_namespace_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = f"pbm-typo-{os.getpid()}"
    codec = IfindexCodec(netns=missing)
    for attempt in (lambda: codec.pack("lo"), lambda: codec.unpack(struct.pack("=I", 1))):
        with pytest.raises(BpfArgumentError, match=f"no network namespace '{missing}'"):
            attempt()
    assert missing not in netns.listnetns()
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("192.0.2.0/24\n")
    command = [sys.executable, str(ROOT / "examples" / "xdpfilter.py"), "lo", "--netns", missing]
    tool = subprocess.run(
        [*command, "--blocklist", str(blocklist)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False, timeout=60,
    )  # fmt: skip
    assert tool.returncode != 0
    assert f"no network namespace '{missing}'" in tool.stderr
    assert missing not in netns.listnetns()
