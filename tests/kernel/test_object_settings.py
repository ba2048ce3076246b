"""An object between ``BpfObject.open`` and ``load()``: constants, map sizes and pins set there are
what the kernel gets (read back through bpftool and the programs' behaviour), global variables are
shared with the programs once loaded, maps of maps and program arrays hold what their ``values``
name, and maps pinned by name are reused when compatible and refused, with the reason, when not."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from pybpfmaps import ArrayMap, BpfArgumentError, BpfError, BpfObject, HashMap, MapCore, XdpAction
from tests.support import bpftool, clang

pytestmark = pytest.mark.needs_kernel("5.10", "clang-built objects with global data, maps of maps and tail calls")

PACKET = bytes(64)


@pytest.fixture
def settings_object(tmp_path: Path) -> Path:
    return clang.build(clang.SOURCES / "settings.bpf.c", tmp_path)


def test_rodata_set_before_load_is_what_the_programs_and_bpftool_see(settings_object: Path) -> None:
    obj = BpfObject.open(settings_object)
    assert dict(obj.rodata) == {"verdict": XdpAction.PASS, "multiplier": 1}
    obj.rodata.verdict = XdpAction.DROP
    obj.rodata["multiplier"] = 3
    with obj.load() as loaded:
        assert loaded is obj
        assert obj.programs["entry"].test_run(PACKET).retval == XdpAction.DROP
        assert obj.bss.seen == 3  # answer() ran once through the tail call: step (1) * multiplier (3)
        dumped = bpftool.run("map", "dump", "id", str(obj.maps["settings.rodata"].id))
        assert dumped[0]["formatted"]["value"][".rodata"] == [{"verdict": 1}, {"multiplier": 3}]
        assert obj.maps["settings.rodata"].info.frozen
        with pytest.raises(BpfArgumentError, match=r"frozen once loaded: set it before load\(\)"):
            obj.rodata.verdict = XdpAction.PASS
        assert obj.rodata.verdict == XdpAction.DROP


def test_global_variables_of_a_loaded_object_are_the_programs_memory(settings_object: Path) -> None:
    with BpfObject.load(settings_object) as obj:
        obj.data.step = 5
        for _ in range(3):
            assert obj.programs["entry"].test_run(PACKET).retval == XdpAction.PASS
        assert obj.bss.seen == 15
        assert obj.variables(".data.hits").hits == 3
        with ArrayMap.from_id(obj.maps["settings.bss"].id, btf=False) as raw:  # another fd, raw bytes
            assert struct.unpack("=Q", bytes(raw[0])) == (15,)
        assert repr(obj.data) == "<.data: step=5>"
        with pytest.raises(KeyError, match=r"\.data has no variable 'nope' \(it has step\)"):
            obj.data["nope"]
        with pytest.raises(BpfArgumentError, match=r"has no \.rodata\.str1\.1 section"):
            obj.variables(".rodata.str1.1")
    with pytest.raises(BpfArgumentError, match="is closed"):
        _ = obj.bss.seen


def test_maps_of_maps_and_program_arrays_hold_what_their_values_name(settings_object: Path) -> None:
    with BpfObject.load(settings_object) as obj:
        outer, jumps = obj.maps["outer"], obj.maps["jumps"]
        held = {slot: bpftool.run("map", "show", "id", str(value))["name"] for slot, value in _raw(outer).items()}
        assert held == {1: "first", 3: "second"}
        assert _raw(jumps) == {1: obj.programs["answer"].id}
        obj.programs["entry"].test_run(PACKET)
        assert obj.map("first", ArrayMap)[0] == 1  # through outer[1]
        with pytest.raises(BpfArgumentError, match="map 'outer' of 'settings' opened as ArrayOfMapsMap, not HashMap"):
            obj.map("outer", HashMap)
        assert obj.maps["second"][0] == 0


def _raw(m: MapCore) -> dict[int, int]:
    """The ids a map of maps or program array holds, by slot, as bpftool reads them."""
    return {
        int.from_bytes(bytes(int(b, 16) for b in element["key"]), "little"):
        int.from_bytes(bytes(int(b, 16) for b in element["value"]), "little")
        for element in bpftool.run("map", "dump", "id", str(m.id))
    }  # fmt: skip


def test_map_specs_change_what_load_creates_and_not_after(settings_object: Path) -> None:
    obj = BpfObject.open(settings_object)
    with pytest.raises(BpfArgumentError, match=r"its maps exist once load\(\) made them"):
        _ = obj.maps
    obj.map_specs["outer"].max_entries = 7
    with obj.load():
        assert bpftool.run("map", "show", "id", str(obj.maps["outer"].id))["max_entries"] == 7
        with pytest.raises(BpfArgumentError, match=r"its max_entries can only be set before load\(\)"):
            obj.map_specs["outer"].max_entries = 9
        with pytest.raises(BpfArgumentError, match="it loads once"):
            obj.load()
    unlike = BpfObject.open(settings_object)
    unlike.map_specs["second"].max_entries = 2  # no longer like outer's inner template
    with pytest.raises(BpfError, match=r"outer\[3\] = second: a map of maps holds only maps like its inner template"):
        unlike.load()


PINNED = """
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} shared SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mine SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 key = ctx->data_end - ctx->data, zero = 0;
	__u64 one = 1, *seen = bpf_map_lookup_elem(&shared, &key);

	if (seen)
		__sync_fetch_and_add(seen, 1);
	else
		bpf_map_update_elem(&shared, &key, &one, BPF_NOEXIST);
	seen = bpf_map_lookup_elem(&mine, &zero);
	if (seen)
		*seen += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
"""


def test_maps_pinned_by_name_are_reused_when_compatible(bpffs: Path, tmp_path: Path) -> None:
    (tmp_path / "pinned.bpf.c").write_text(PINNED)
    built = clang.build(tmp_path / "pinned.bpf.c", tmp_path)
    with BpfObject.load(built, pin_root=str(bpffs)) as first:
        first.programs["count"].test_run(PACKET)
        shared_id = first.maps["shared"].id
    assert sorted(path.name for path in bpffs.iterdir()) == ["mine", "shared"]  # the pins outlive the object
    with BpfObject.load(built, pin_root=str(bpffs)) as second:
        assert second.maps["shared"].id == shared_id
        second.programs["count"].test_run(PACKET)
        assert dict(second.maps["shared"]) == {64: 2}
    (bpffs / "mine").unlink()
    third = BpfObject.open(built, pin_root=str(bpffs))
    third.map_specs["shared"].max_entries = 32
    with pytest.raises(
        BpfArgumentError, match=r"'shared' cannot reuse the map pinned at .*: max_entries 32 here, 16 there"
    ):
        third.load()
    assert sorted(path.name for path in bpffs.iterdir()) == ["shared"]  # mine, pinned by the failed load, is gone
    with MapCore.from_pin(bpffs / "shared") as pinned:
        assert pinned.id == shared_id


def test_an_object_opens_from_its_bytes(settings_object: Path) -> None:
    obj = BpfObject.open(settings_object.read_bytes(), name="settings")
    assert repr(obj) == "<BpfObject 'settings' (opened): 8 maps, 2 programs>"
    with obj.load():
        assert obj.programs["entry"].test_run(PACKET).retval == XdpAction.PASS
        assert sorted(obj.maps) == sorted(obj.map_specs)
    assert not obj.loaded
