"""Maps made elsewhere: a clang-built object with every BTF shape C allows, read and written through its BTF.

tests/bpf/awkward.bpf.c declares a spin lock first, bitfields, named and anonymous unions, an
anonymous struct, ``__int128``, floats, a typedef'd anonymous struct and enum, an empty struct, a
zero-length array, ``char`` arrays with text after a NUL, member names Python cannot take, an
LPM trie key of its own, and global data sections. bpftool loads it and is the independent
reader; the program itself writes values from C and copies float bytes where bpftool can read them.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from pybpfmaps import ArrayMap, BpfMap, Btf, BtfStruct, BtfUnion, HashMap, KeyExistsError, LpmTrieMap, UpdateFlags, u32
from pybpfmaps.codecs.aggregates import AggregateCodec, untyped_parts
from tests.support import bpftool, clang
from tests.support.btfview import as_bpftool
from tests.support.columns import as_cell, cell, same

pytestmark = pytest.mark.needs_kernel("5.2", "the maps of tests/bpf/awkward.bpf.c: BTF with spin locks, frozen .rodata")

MAPS = ["locked", "flagmap", "numbers", "floats", "floatbytes", "trie", "names"]
SECTIONS = ["awkward_bss", "awkward_data", "awkward_rodata", "awkward_kconfig"]
NOT_FOR_BPFTOOL = {"floats"}  # bpftool 7.1 prints float members as "(unsupported-kind", which is not JSON


@pytest.fixture(scope="module")
def awkward_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clang.build(clang.SOURCES / "awkward.bpf.c", tmp_path_factory.mktemp("awkward"))


@pytest.fixture
def awkward(awkward_object: Path, bpffs: Path, tmp_path: Path) -> Path:
    """The object loaded and its program run once (it writes the values the tests expect from C): the maps' dir."""
    clang.load(awkward_object, bpffs)
    assert fill(bpffs, tmp_path) == 2  # XDP_PASS
    return bpffs / "maps"


def fill(loaded: Path, scratch: Path) -> int:
    return clang.run(loaded / "prog" / "fill", bytes(64), scratch)


def opened(maps: Path, name: str) -> Any:
    return BpfMap.from_pin(maps / name)


def canonical(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True)


def formatted(map_id: int) -> list[dict[str, Any]]:
    return [entry["formatted"] for entry in bpftool.run("map", "dump", "id", str(map_id))]


def test_every_map_and_member_is_typed(awkward: Path) -> None:
    for name in MAPS + SECTIONS:
        with opened(awkward, name) as m:
            assert untyped_parts(m.key_codec, f"{name} key") + untyped_parts(m.value_codec, f"{name} value") == []
            struct_valued = name not in ("trie", "names")
            assert isinstance(m.value_codec if struct_valued else m.key_codec, AggregateCodec), m
    with opened(awkward, "flagmap") as flags:
        assert [f.name for f in attrs.fields(flags.value_codec.cls)] == [
            "action", "priority", "delta", "on", "port", "tag", "anon0", "wide"
        ]  # fmt: skip
    with opened(awkward, "names") as names:
        assert [f.name for f in attrs.fields(names.key_codec.cls)] == [
            "class_", "_1", "pad", "_pad", "lambda_", "self", "__init___"
        ]  # fmt: skip
    with opened(awkward, "awkward_bss") as bss:
        assert repr(bss).startswith("<ArrayMap 'awkward.bss' ")
        assert repr(bss.value_codec) == "bss"


def test_what_c_wrote_reads_back(awkward: Path) -> None:
    with opened(awkward, "numbers") as numbers:
        n = numbers[1]
        assert (n.big, n.ubig, n.ptr) == (-5, (1 << 100) + 3, 0)
        assert n.color.name == "RED"
        assert (type(n.pair).__name__, n.pair.a, n.pair.b) == ("pair_t", 70000, 9)
        assert n.text == b"\0\0hi" + bytes(8)  # text after NULs: every byte, not ""
        assert (repr(n.nothing), n.tail) == ("empty()", ())
    with opened(awkward, "flagmap") as flags:
        f = flags[1]
        assert (f.action, f.priority, f.delta, f.on, f.port, f.wide) == (9, 123456, -3, 1, 8080, 0x1122334455667788)
        assert isinstance(f.tag, BtfUnion)
        assert (f.tag.mark, f.tag.class_id) == (0x10002, 2)  # a union: every member over the same bytes
        assert (f.raw, f.lo, f.hi) == (0x20001, 1, 2)  # members of anonymous members read as in C
        assert (f.anon0.raw, f.anon0.anon0.lo) == (0x20001, 1)
    with opened(awkward, "floats") as floats:
        assert (floats[1].f, floats[1].d) == (1.5, -2.25)
    with opened(awkward, "awkward_data") as data, opened(awkward, "awkward_bss") as bss:
        assert (data[0].counter, bss[0].hits) == (8, 1)
    with opened(awkward, "awkward_rodata") as rodata, opened(awkward, "awkward_kconfig") as kconfig:
        assert rodata[0].greeting == b"hi\0yo\0\0\0"
        assert rodata.info.frozen
        assert kconfig[0].LINUX_KERNEL_VERSION > 0


def test_bpftool_reads_every_member_as_we_do(awkward: Path) -> None:
    for name in MAPS + SECTIONS:
        if name in NOT_FOR_BPFTOOL:
            continue
        with opened(awkward, name) as m:
            keyless = not m.info.btf_key_type_id  # a data section: bpftool shows its value only
            ours = [
                {"value": as_bpftool(v, m.value_codec)} | ({} if keyless else {"key": as_bpftool(k, m.key_codec)})
                for k, v in m.items()
            ]
            assert sorted(ours, key=canonical) == sorted(formatted(m.id), key=canonical), name


def test_what_python_writes_bpftool_and_the_program_read(awkward: Path, tmp_path: Path) -> None:
    with opened(awkward, "flagmap") as flags:
        cls = flags.value_codec.cls
        written = cls(action=15, priority=(1 << 28) - 1, delta=-4, on=0, port=1, tag={"class_id": 0xBEEF}, wide=7)
        written = attrs.evolve(written, anon0=type(written.anon0)(anon0={"lo": 5, "hi": 6}))
        flags[2] = written
        assert flags[2] == written
        [shown] = [entry["value"] for entry in formatted(flags.id) if entry["key"] == 2]
        assert shown == as_bpftool(written, flags.value_codec)
        assert shown["delta"] == "0x4"
        assert shown[""][""] == {"lo": 5, "hi": 6}
    with opened(awkward, "numbers") as numbers:
        value = attrs.evolve(numbers[1], big=-(1 << 127), ubig=(1 << 128) - 1, text=b"\0\0yo", color=2)
        numbers[0] = value
        raw = bpftool.dump(numbers.id)[bytes(4)]
        assert raw == numbers.value_codec.pack(value)
        assert raw[:32] == bytes(15) + b"\x80" + b"\xff" * 16
    with opened(awkward, "floats") as floats:
        floats[0] = floats.value_codec.cls(f=-0.5, d=1e300)
        fill(awkward.parent, tmp_path)  # the program copies the floats' bytes where bpftool can read them
        assert bpftool.dump_pinned(str(awkward / "floatbytes"))[bytes(4)] == struct.pack("=f4xd", -0.5, 1e300)
    with opened(awkward, "awkward_data") as data:
        data[0] = {"counter": -7}
        fill(awkward.parent, tmp_path)  # counter++ in C
        assert data[0].counter == -6


def test_a_spin_lock_first_is_an_ordinary_value(awkward: Path) -> None:
    with opened(awkward, "locked") as locked:
        cls = locked.value_codec.cls
        assert [f.name for f in attrs.fields(cls)] == ["lock", "cnt", "tag"]
        locked.put(1, cls(cnt=5, tag="ab"), UpdateFlags.LOCK)
        locked.update_many({2: cls(cnt=6), 3: {"cnt": 7, "tag": b"\0x"}}, flags=UpdateFlags.LOCK)
        with pytest.raises(KeyExistsError):
            locked.put(1, cls(cnt=9), UpdateFlags.LOCK | UpdateFlags.NOEXIST)
        assert locked.lookup(1, lock=True) == cls(cnt=5, tag="ab")
        assert {k: (v.cnt, v.tag) for k, v in locked.copy(lock=True).items()} == {
            1: (5, "ab"), 2: (6, ""), 3: (7, b"\0x\0\0\0\0")
        }  # fmt: skip
        shown = {entry["key"]: entry["value"] for entry in formatted(locked.id)}
        assert shown[1] == {"lock": {"val": 0}, "cnt": 5, "tag": "ab"}
        assert shown[3]["tag"] == ""  # bpftool stops at the first NUL; pybpfmaps kept every byte


def test_names_python_cannot_take_keep_their_c_names_for_bpftool(awkward: Path) -> None:
    with opened(awkward, "names") as names:
        key = names.key_codec.cls(1, 2, 3, 4, 5, self=6, __init___=7)
        names[key] = 99
        assert attrs.evolve(key, self=8, _pad=9, class_=10) == names.key_codec.cls(10, 2, 3, 9, 5, 8, 7)
        [entry] = formatted(names.id)
        assert entry == {
            "key": {"class": 1, "_1": 2, "pad": 3, "_pad": 4, "lambda": 5, "self": 6, "__init__": 7},
            "value": 99,
        }


def test_bytes_no_member_covers_survive_a_read_and_a_write(awkward: Path) -> None:
    """Padding and unused bitfield bits that C left as garbage are kept by a typed read-modify-write."""
    with BpfMap.from_pin(awkward / "numbers", btf=False) as raw_view, opened(awkward, "numbers") as numbers:
        garbage = bytearray(numbers.value_codec.pack(numbers[1]))
        garbage[49:52] = b"\xaa\xbb\xcc"  # pair_t's three bytes of padding
        garbage[52:64] = b"ab\0junk\0\0\0\0\0"  # text with leftovers after its NUL
        raw_view[3] = bytes(garbage)
        value = numbers[3]
        assert (value.__pad__, value.pair.__pad__) == (b"", bytes(5) + b"\xaa\xbb\xcc")  # pair_t's own padding
        assert value.text == b"ab\0junk" + bytes(5)
        numbers[3] = attrs.evolve(value, big=1)  # a typed write of a read value...
        garbage[:16] = (1).to_bytes(16, sys.byteorder)
        assert bpftool.dump(numbers.id)[struct.pack("=I", 3)] == bytes(garbage)  # ...changes only what it changed
    with BpfMap.from_pin(awkward / "flagmap", btf=False) as raw_view, opened(awkward, "flagmap") as flags:
        before = bytearray(flags.value_codec.pack(flags[1]))
        before[4] |= 0xF0  # the four bits after delta:3 and on:1
        before[5] = 0x11  # the padding byte before port
        raw_view[3] = bytes(before)
        assert flags.value_codec.pack(flags[3]) == bytes(before)
        assert flags[3] != attrs.evolve(flags[3])  # evolve builds a new value, without the stray bits


def test_lpm_keys_of_their_own_and_longest_prefix_match(awkward: Path) -> None:
    with opened(awkward, "trie") as trie:
        assert isinstance(trie, LpmTrieMap)
        key = trie.key_codec.cls  # type: ignore[attr-defined]
        assert [f.name for f in attrs.fields(key)] == ["prefixlen", "vlan", "addr"]
        trie[key(16 + 24, 7, b"\x0a\x01\x02\0\0\0")] = 1  # vlan 7, the first 3 address bytes
        trie[key(16 + 48, 7, b"\x0a\x01\x02\x03\x04\x05")] = 2
        trie[{"prefixlen": 16, "vlan": 8}] = 3
        data = struct.pack("=H", 7) + b"\x0a\x01\x02\x09\x09\x09"
        assert trie.match(data) == 1  # data bytes alone: matched at their full length
        assert trie.match(struct.pack("=H", 7) + b"\x0a\x01\x02\x03\x04\x05") == 2
        assert trie.match(key(16 + 48, 8, b"\x0b" * 6)) == 3
        assert trie.match(key(16 + 48, 9, bytes(6)), None) is None
        assert key(16 + 24, 7, b"\x0a\x01\x02\0\0\0") in trie
        assert key(16 + 32, 7, b"\x0a\x01\x02\x09\0\0") not in trie  # exact: contained in a prefix is not in
        shown = sorted(entry["key"]["prefixlen"] for entry in formatted(trie.id))
        assert shown == [16, 40, 64]


def test_standard_lpm_keys_stay_networks(make_map: Any) -> None:
    routes = make_map(LpmTrieMap, value=u32, max_entries=4)
    routes["10.0.0.0/8"] = 1
    with LpmTrieMap.from_id(routes.id) as again:
        assert repr(again.key_codec) == "lpm_ipv4"
        assert again.match("10.1.2.3") == 1


def test_codecs_from_btf_describe_new_maps_exactly(awkward: Path, make_map: Any) -> None:
    """A map created with codecs made from BTF carries that very BTF: bpftool reads the same members."""
    with opened(awkward, "flagmap") as flags:
        copy = make_map(HashMap, key=u32, value=flags.value_codec, max_entries=4)
        copy[1] = flags[1]
        assert formatted(copy.id)[0]["value"] == next(e["value"] for e in formatted(flags.id) if e["key"] == 1)
    with opened(awkward, "awkward_bss") as bss:
        section = make_map(ArrayMap, value=bss.value_codec, max_entries=1)
        section[0] = bss[0]
        assert [entry["value"] for entry in formatted(section.id)] == [entry["value"] for entry in formatted(bss.id)]


def test_maps_of_pybpfmaps_with_struct_values_are_struct_classes(make_map: Any) -> None:
    @attrs.frozen
    class Pair:
        a: int = u32()
        b: int = u32()

    m = make_map(HashMap, key=u32, value=Pair, max_entries=4)
    m[1] = Pair(1, 2)
    with BpfMap.from_id(m.id) as again:
        [value] = again.values()
        assert isinstance(value, BtfStruct)
        assert attrs.asdict(value) == {"a": 1, "b": 2}


def test_btf_of_an_object_file_types_what_its_maps_hold(awkward_object: Path, awkward: Path) -> None:
    source = Btf.load(awkward_object)  # the .BTF section of the ELF object clang wrote
    assert {"flags", "numbers", "locked", "lpm_key", "names"} <= set(source.names("struct"))
    assert "pair_t" in source.names("typedef")
    flags = source.codec("struct flags")
    with opened(awkward, "flagmap") as flagmap:
        value = flagmap[1]
        assert flags.pack(attrs.asdict(value, recurse=False)) == flagmap.value_codec.pack(value)
        assert flags.pack(value) == flagmap.value_codec.pack(value)  # the same C type, from another BTF blob
    with opened(awkward, "flagmap") as flagmap:
        from_map = Btf.from_map(flagmap)
        assert "flags" in from_map.names("struct")


def test_columns_of_every_shape_hold_what_each_element_decodes_to(awkward: Path) -> None:
    for name in MAPS + SECTIONS:
        with opened(awkward, name) as m:
            pairs = list(m.items())
            columns = m.columns()
            assert len(columns) == len(pairs), name
            for index, (key, value) in enumerate(pairs):
                assert same(cell(columns.keys, index), as_cell(key, m.key_codec)), (name, index)
                assert same(cell(columns.values, index), as_cell(value, m.value_codec)), (name, index)
