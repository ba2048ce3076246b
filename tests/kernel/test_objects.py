"""Objects read without loading (``ObjectSpec``, ``pybpfmaps inspect``) against what bpftool makes
of the same clang-built objects: every clang-built object of the repository declares the maps and
programs bpftool creates and loads from it, with the same types, sizes and flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pybpfmaps import BpfMap, BpfObject, BpfProgram, MapCore, NotSupportedError, ProgType, RingBufMap, VerifierError
from pybpfmaps.objects import ObjectSpec
from tests.support import bpftool, clang

pytestmark = pytest.mark.needs_kernel("5.2", "clang-built programs with BTF-defined maps and global data")

SOURCES = sorted([*clang.SOURCES.glob("*.bpf.c"), *clang.EXAMPLES.glob("*.bpf.c")])


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_what_the_object_declares_is_what_bpftool_makes_of_it(source: Path, bpffs: Path, tmp_path: Path) -> None:
    obj = clang.build(source, tmp_path)
    spec = ObjectSpec.open(obj)
    loaded = clang.load(obj, bpffs / source.name.split(".")[0])
    pinned = sorted((loaded / "maps").iterdir())
    assert len(pinned) == len(spec.maps)
    for pin in pinned:
        shown = bpftool.run("map", "show", "pinned", str(pin))
        declared = spec.maps[shown["name"]]
        assert (declared.type_name, declared.key_size, declared.value_size, declared.max_entries) == (
            shown["type"], shown["bytes_key"], shown["bytes_value"], shown["max_entries"],
        ), pin.name  # fmt: skip
        assert int(declared.flags) == shown["flags"], pin.name
    programs = sorted((loaded / "prog").iterdir())
    assert sorted(spec.programs) == [path.name for path in programs]
    for path in programs:
        assert spec.programs[path.name].type_name == bpftool.run("prog", "show", "pinned", str(path))["type"]


def test_inspect_prints_the_maps_and_programs_without_loading_them(tmp_path: Path) -> None:
    obj = clang.build(clang.SOURCES / "histograms.bpf.c", tmp_path)
    shown = json.loads(run("inspect", str(obj), "--json").stdout)
    assert [(m["name"], m["type"], m["key"], m["max_entries"]) for m in shown["maps"][:3]] == [
        ("sizes", "array", "u32 (4)", 16), ("by_first", "hash", "section_key (8)", 1024),
        ("by_kind", "percpu_hash", "u32 (4)", 16),
    ]  # fmt: skip
    assert shown["programs"] == [
        {"name": "count", "section": "xdp", "type": "xdp", "attach_type": "xdp", "target": "", "instructions":
         shown["programs"][0]["instructions"]}
    ]  # fmt: skip
    assert shown["license"] == "GPL"
    text = run("inspect", str(obj)).stdout.splitlines()
    assert text[0] == "histograms: 4 maps, 1 programs, license GPL"
    refused = run("inspect", str(clang.SOURCES / "histograms.bpf.c"))
    assert refused.returncode == 1
    assert refused.stderr.startswith("pybpfmaps: error: ")
    assert "is not a readable ELF object" in refused.stderr


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pybpfmaps", *args], capture_output=True, text=True, check=False)


LOADABLE = SOURCES
RUN_ON_PACKETS = frozenset({ProgType.XDP, ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.SOCKET_FILTER})
PACKETS = [bytes([index % 7]) + bytes(n % 256 for n in range(length - 1)) for index, length in
           enumerate([14, 20, 42, 60, 64, 100, 128, 512, 1500])]  # fmt: skip


def contents(m: Any) -> Any:
    """What a map holds, as bytes: its elements, or the records waiting in a ring buffer."""
    if isinstance(m, RingBufMap):
        return sorted(m.consume())
    if isinstance(m, BpfMap):
        with BpfMap.from_id(m.id, btf=False) as raw:
            return sorted((key, named(value)) for key, value in raw.items())
    return None


def named(value: Any) -> Any:
    """A map's value, or the name of the map or program it holds (their ids differ between loads)."""
    if isinstance(value, (BpfProgram, MapCore)):
        with value:
            return f"{type(value).__name__} {value.name}"
    return value


@pytest.mark.parametrize("source", LOADABLE, ids=lambda path: path.name)
def test_loaded_by_pybpfmaps_it_behaves_as_loaded_by_bpftool(source: Path, bpffs: Path, tmp_path: Path) -> None:
    obj = clang.build(source, tmp_path)
    loaded = clang.load(obj, bpffs / "bpftool")
    with BpfObject.load(obj) as ours:
        assert sorted(ours.maps) == sorted(bpftool.run("map", "show", "pinned", str(pin))["name"]
                                           for pin in (loaded / "maps").iterdir())  # fmt: skip
        for name, program in ours.programs.items():
            if program.prog_type not in RUN_ON_PACKETS:
                continue  # loaded is all there is to compare: it runs where it is attached (test_attach.py)
            with BpfProgram.from_pin(loaded / "prog" / name) as theirs:
                for packet in PACKETS:
                    assert program.test_run(packet).retval == theirs.test_run(packet).retval
        for pin in (loaded / "maps").iterdir():
            with MapCore.from_pin(pin) as theirs:
                mine = ours.maps[theirs.name]
                assert (type(mine), mine.info.key_size, mine.info.value_size, mine.info.flags, mine.info.frozen) == (
                    type(theirs), theirs.info.key_size, theirs.info.value_size, theirs.info.flags, theirs.info.frozen,
                )  # fmt: skip
                assert contents(mine) == contents(theirs), theirs.name


BROKEN = """
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int unchecked(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *count = bpf_map_lookup_elem(&counts, &key);

	*count += 1;	/* no NULL check: the verifier refuses this line */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
"""


def test_programs_carry_their_btf_and_a_refusal_quotes_the_c_line(bpffs: Path, tmp_path: Path) -> None:
    with BpfObject.load(clang.build(clang.SOURCES / "histograms.bpf.c", tmp_path)) as loaded:
        shown = bpftool.run("prog", "show", "id", str(loaded.programs["count"].id))
        assert shown.get("btf_id", 0) > 0  # func and line info went with it
    (tmp_path / "broken.bpf.c").write_text(BROKEN)
    with pytest.raises(VerifierError) as refused:
        BpfObject.load(clang.build(tmp_path / "broken.bpf.c", tmp_path))
    assert "*count += 1;\t/* no NULL check: the verifier refuses this line */" in refused.value.log
    assert "invalid mem access 'map_value_or_null'" in refused.value.log


def test_inspect_shows_the_global_variables_with_their_types_and_initial_values(tmp_path: Path) -> None:
    obj = clang.build(clang.SOURCES / "settings.bpf.c", tmp_path)
    shown = json.loads(run("inspect", str(obj), "--json").stdout)
    assert shown["variables"] == [
        {"variable": "verdict", "section": ".rodata", "type": "u32", "size": "4", "initial": "2"},
        {"variable": "multiplier", "section": ".rodata", "type": "u64", "size": "8", "initial": "1"},
        {"variable": "step", "section": ".data", "type": "u32", "size": "4", "initial": "1"},
        {"variable": "seen", "section": ".bss", "type": "u64", "size": "8", "initial": "0"},
        {"variable": "hits", "section": ".data.hits", "type": "u64", "size": "8", "initial": "0"},
    ]


def test_load_object_pins_what_it_made_with_the_settings_given(bpffs: Path, tmp_path: Path) -> None:
    obj = clang.build(clang.SOURCES / "settings.bpf.c", tmp_path)
    loaded = run("load-object", str(obj), "--pin", str(bpffs), "--set", "verdict=1", "--set", ".data.step=4",
                 "--max-entries", "outer=6", "--json")  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    made = json.loads(loaded.stdout)
    assert {m["name"]: m["pin"] for m in made["maps"]}["settings.rodata"] == str(bpffs / "maps" / "settings_rodata")
    assert bpftool.run("map", "show", "pinned", str(bpffs / "maps" / "outer"))["max_entries"] == 6
    rodata = bpftool.run("map", "dump", "pinned", str(bpffs / "maps" / "settings_rodata"))
    assert rodata[0]["formatted"]["value"][".rodata"] == [{"verdict": 1}, {"multiplier": 1}]
    with BpfProgram.from_pin(bpffs / "programs" / "entry") as entry:
        assert entry.test_run(bytes(64)).retval == 1  # verdict, through the tail call the pinned maps still hold
    data = bpftool.run("map", "dump", "pinned", str(bpffs / "maps" / "settings_data"))
    assert data[0]["formatted"]["value"][".data"] == [{"step": 4}]
    refused = run("load-object", str(obj), "--set", "nope=1")
    assert refused.returncode == 1
    assert "no global variable 'nope' in .rodata, .data, .bss, .data.hits" in refused.stderr


def test_load_object_attaches_and_pins_the_links(bpffs: Path, tmp_path: Path) -> None:
    obj = clang.build(clang.SOURCES / "execs.bpf.c", tmp_path)
    if not Path("/sys/kernel/tracing/events").is_dir():
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=True)
    loaded = run("load-object", str(obj), "--pin", str(bpffs), "--attach", "--json")
    assert loaded.returncode == 0, loaded.stderr
    (program,) = json.loads(loaded.stdout)["programs"]
    assert program["link"] == str(bpffs / "links" / "on_exec")
    link = bpftool.run("link", "show", "pinned", program["link"])
    assert (link["type"], link["prog_id"]) == ("perf_event", program["id"])


KFUNC = """
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

SEC("tp_btf/sched_process_exec")
int locks(unsigned long long *ctx)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
"""

KSYM = """
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const int bpf_prog_active __ksym;

SEC("tp_btf/sched_process_exec")
int active(unsigned long long *ctx)
{
	return *(const int *)bpf_this_cpu_ptr(&bpf_prog_active);
}

char LICENSE[] SEC("license") = "GPL";
"""

STRUCT_OPS = """
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("struct_ops/whatever")
int op(unsigned long long *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
"""


@pytest.mark.parametrize(
    ("source", "refusal"),
    [(KFUNC, "calls the kernel function 'bpf_rcu_read_lock': kfuncs are not supported yet"),
     (KSYM, "uses the extern 'bpf_prog_active': externs other than __kconfig ones (__ksym) are not supported yet"),
     (STRUCT_OPS, "has a 'struct_ops/whatever' section: struct_ops is not supported yet")],
    ids=["kfunc", "ksym", "struct_ops"],
)  # fmt: skip
def test_what_is_not_supported_is_refused_by_name(source: str, refusal: str, tmp_path: Path) -> None:
    (tmp_path / "unsupported.bpf.c").write_text(source)
    built = clang.build(tmp_path / "unsupported.bpf.c", tmp_path)
    with pytest.raises(NotSupportedError) as refused:
        BpfObject.load(built)
    assert refusal in str(refused.value)
