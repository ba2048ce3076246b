"""xdpfilter: drop IPv4 sources listed in a blocklist file and count packets per source, with XDP.

    python examples/xdpfilter.py veth1 --blocklist blocklist.txt [--netns NS] [--mode generic]

The blocklist file holds one prefix per line (``10.0.0.0/8``, ``192.0.2.7``; ``#`` comments).
Edit it while the tool runs: every interval it is read again and the kernel's blocklist follows
with ``update_many``/``delete_many``. The counters are per CPU in the kernel and summed here.

The XDP program is assembled in Python (no compiler): for each IPv4 packet it adds one to the
per-CPU counter of its source address, then drops it if the source is in the LPM trie blocklist.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import time
from pathlib import Path

from pybpfmaps import (
    BpfError,
    BpfProgram,
    LpmTrieMap,
    PerCpuHashMap,
    ProgType,
    XdpAction,
    asm,
    ipv4,
    lpm_ipv4,
    u8,
    u64,
)

Counters = PerCpuHashMap[ipaddress.IPv4Address]
Blocklist = LpmTrieMap[ipaddress.IPv4Network, int]

ETH_HLEN = 14
IPV4_SADDR = ETH_HLEN + 12
ETH_P_IP = int.from_bytes((0x0800).to_bytes(2, "big"), sys.byteorder)  # as the program loads it


def filter_program(counters: Counters, blocklist: Blocklist) -> list[asm.Item]:
    """The XDP program: count per source address, then drop sources the blocklist contains."""
    R0, R1, R2, R3, R4, R6, R7, R10 = asm.R0, asm.R1, asm.R2, asm.R3, asm.R4, asm.R6, asm.R7, asm.R10
    return [
        asm.mov_reg(R6, R1),                      # r6 = ctx (struct xdp_md *)
        asm.load(R2, R6, 0, 4),                   # r2 = data
        asm.load(R3, R6, 4, 4),                   # r3 = data_end
        asm.mov_reg(R4, R2),
        asm.alu(R4, "+", IPV4_SADDR + 4),
        asm.jump_if(R4, ">", R3, "pass", register=True),   # too short for an IPv4 source address
        asm.load(R4, R2, 12, 2),                  # ethertype
        asm.jump_if(R4, "!=", ETH_P_IP, "pass"),
        asm.load(R7, R2, IPV4_SADDR, 4),          # r7 = source address, network order
        # counters[saddr] += 1 (this CPU's slot), or = 1 for a new source
        asm.store(R10, -4, R7, 4),
        asm.ld_map(R1, counters),
        asm.mov_reg(R2, R10),
        asm.alu(R2, "+", -4),
        asm.call(asm.MAP_LOOKUP_ELEM),
        asm.jump_if(R0, "==", 0, "new_source"),
        asm.load(R1, R0, 0, 8),
        asm.alu(R1, "+", 1),
        asm.store(R0, 0, R1, 8),
        asm.jump("check"),
        asm.label("new_source"),
        asm.store_imm(R10, -16, 1, 8),
        asm.ld_map(R1, counters),
        asm.mov_reg(R2, R10),
        asm.alu(R2, "+", -4),
        asm.mov_reg(R3, R10),
        asm.alu(R3, "+", -16),
        asm.mov(R4, 0),                           # BPF_ANY
        asm.call(asm.MAP_UPDATE_ELEM),
        # drop if the blocklist has a prefix containing saddr
        asm.label("check"),
        asm.store_imm(R10, -24, 32, 4),           # struct bpf_lpm_trie_key: prefixlen 32 ...
        asm.store(R10, -20, R7, 4),               # ... and the address
        asm.ld_map(R1, blocklist),
        asm.mov_reg(R2, R10),
        asm.alu(R2, "+", -24),
        asm.call(asm.MAP_LOOKUP_ELEM),
        asm.jump_if(R0, "!=", 0, "drop"),
        asm.label("pass"),
        asm.mov(R0, XdpAction.PASS),
        asm.exit(),
        asm.label("drop"),
        asm.mov(R0, XdpAction.DROP),
        asm.exit(),
    ]  # fmt: skip


def read_blocklist(path: Path) -> set[ipaddress.IPv4Network]:
    """The prefixes of a blocklist file: one per line, ``#`` starts a comment."""
    prefixes = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if text:
            try:
                prefixes.add(ipaddress.IPv4Network(text))
            except ValueError as exc:
                raise SystemExit(f"{path}:{number}: {exc}") from None
    return prefixes


def sync_blocklist(blocklist: Blocklist, wanted: set[ipaddress.IPv4Network]) -> tuple[int, int]:
    """Make the kernel's blocklist hold exactly *wanted*; returns (added, removed)."""
    present = set(blocklist.keys())
    added = blocklist.update_many(dict.fromkeys(wanted - present, 1))
    removed = blocklist.delete_many(present - wanted, missing_ok=True)
    return added, removed


def report(counters: Counters, blocklist: Blocklist, top: int) -> str:
    """The busiest sources, with their packet counts summed over CPUs and whether they are blocked."""
    totals = sorted(((values.sum(), source) for source, values in counters.items()), reverse=True)[:top]
    lines = [f"{'source':<16} {'packets':>10}  blocked"]
    lines += [
        f"{source!s:<16} {count:>10}  {'yes' if blocklist.match(source, None) else ''}" for count, source in totals
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("interface", help="the interface to filter (name or index)")
    parser.add_argument("--blocklist", type=Path, required=True, help="file of prefixes to drop")
    parser.add_argument("--netns", help="network namespace of the interface")
    parser.add_argument("--mode", choices=["native", "generic"], default="native", help="XDP mode")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between reports")
    parser.add_argument("--count", type=int, default=0, help="stop after this many reports (0: run until ^C)")
    parser.add_argument("--top", type=int, default=10, help="sources shown")
    args = parser.parse_args(argv)
    try:
        run(args)
    except (BpfError, OSError) as exc:  # a missing file or interface, no privileges...: one line, no traceback
        raise SystemExit(f"xdpfilter: error: {exc}") from None


def run(args: argparse.Namespace) -> None:
    """Filter until ^C or ``--count`` reports: the blocklist is read first, so a bad one loads nothing."""
    wanted = read_blocklist(args.blocklist)
    interface = int(args.interface) if args.interface.isdigit() else args.interface
    with (
        PerCpuHashMap.create(key=ipv4, value=u64, max_entries=65536, name="xdpf_counts") as counters,
        LpmTrieMap.create(key=lpm_ipv4, value=u8, max_entries=65536, name="xdpf_block") as blocklist,
        BpfProgram.load(filter_program(counters, blocklist), ProgType.XDP, name="xdpfilter") as program,
    ):
        added, _ = sync_blocklist(blocklist, wanted)
        with program.attach_xdp(interface, netns=args.netns, mode=args.mode):
            print(f"{added} prefixes blocked; filtering {args.interface} ({args.mode} XDP)", flush=True)
            reports = 0
            try:
                while not args.count or reports < args.count:
                    time.sleep(args.interval)
                    added, removed = sync_blocklist(blocklist, read_blocklist(args.blocklist))
                    if added or removed:
                        print(f"blocklist: +{added} -{removed}", flush=True)
                    print(report(counters, blocklist, args.top), flush=True)
                    reports += 1
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
