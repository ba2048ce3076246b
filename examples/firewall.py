"""firewall: drop IPv4 packets from blocked networks with XDP — a BPF object in C, loaded and driven from Python.

    clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c examples/firewall.bpf.c -o firewall.bpf.o
    python examples/firewall.py eth0 --object firewall.bpf.o --block 192.0.2.0/24 [--dry-run] [--netns NS]

pybpfmaps opens the object, sets its ``dry_run`` constant (before load: the verifier takes it as a
constant), loads it, fills the ``blocklist`` LPM trie with ``update_many``, attaches the program
through an XDP link, and prints, every ``--interval`` seconds, the verdicts (per-CPU counters,
summed) and the hits of each rule. Ctrl-C (or ``--count``) stops: the link closes, the program
leaves the interface, and the maps go with the process.
"""

from __future__ import annotations

import argparse
import ipaddress
import time
from pathlib import Path

from pybpfmaps import BpfObject


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("interface")
    parser.add_argument("--object", type=Path, default=Path("firewall.bpf.o"), help="the built firewall.bpf.c")
    parser.add_argument("--block", type=ipaddress.IPv4Network, action="append", default=[], metavar="PREFIX",
                        help="a network to drop packets from (repeatable)")  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="count what would be dropped, drop nothing")
    parser.add_argument("--netns", help="the network namespace the interface is in")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between reports")
    parser.add_argument("--count", type=int, help="stop after this many reports")
    args = parser.parse_args()
    if not args.object.is_file():
        parser.error(f"{args.object} does not exist: build it with the clang command above")

    firewall = BpfObject.open(args.object)
    firewall.rodata.dry_run = args.dry_run
    with firewall.load():
        blocklist, verdicts = firewall.maps["blocklist"], firewall.maps["verdicts"]
        blocklist.update_many((prefix, 0) for prefix in args.block)
        with firewall.programs["firewall"].attach_xdp_link(args.interface, netns=args.netns, mode="generic"):
            print("ready", flush=True)
            reports = 0
            try:
                while args.count is None or reports < args.count:
                    time.sleep(args.interval)
                    reports += 1
                    totals = {verdict.name.lower(): counts.sum() for verdict, counts in verdicts.items()}
                    rules = ", ".join(f"{prefix}: {hits}" for prefix, hits in sorted(blocklist.items()))
                    print(" ".join(f"{name}={count}" for name, count in totals.items()), "|", rules or "no rules",
                          flush=True)  # fmt: skip
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
