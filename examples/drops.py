"""drops: print each UDP datagram an XDP program drops, as the program reports it through a ring buffer.

    bpftool prog loadall drops.bpf.o /sys/fs/bpf/drops/prog pinmaps /sys/fs/bpf/drops/maps
    python examples/drops.py /sys/fs/bpf/drops eth0 --block 9999 [--netns NS] [--mode generic] [--count N]

examples/drops.bpf.c drops UDP datagrams to the ports in its ``blocked_ports`` map and sends a
``struct drop_event`` for each through its ``drops`` ring buffer; the records are decoded by that
type, found in the program's BTF. Ctrl-C (or ``--count``) stops, printing the drops per port.
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
from pathlib import Path

from pybpfmaps import BpfProgram, HashMap, RingBufMap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pins", type=Path, help="where bpftool pinned the object: PINS/prog, PINS/maps")
    parser.add_argument("interface")
    parser.add_argument("--block", type=int, action="append", default=[], metavar="PORT", help="a UDP port to drop")
    parser.add_argument("--netns", help="the network namespace the interface is in")
    parser.add_argument("--mode", default="native", choices=["native", "generic"])
    parser.add_argument("--count", type=int, help="stop after this many drops")
    args = parser.parse_args()
    blocked: HashMap[int, int] = HashMap.from_pin(args.pins / "maps" / "blocked_ports")
    drops = RingBufMap.from_pin(args.pins / "maps" / "drops")
    program = BpfProgram.from_pin(args.pins / "prog" / "drop_blocked")
    with blocked, drops, program:
        blocked.update_many((port, 0) for port in args.block)
        drops.open_reader("struct drop_event")  # the record type, as the program declared it
        with program.attach_xdp(args.interface, netns=args.netns, mode=args.mode):
            print("ready", flush=True)
            try:
                for event in itertools.islice(drops, args.count):
                    source, destination = ipaddress.IPv4Address(event.saddr), ipaddress.IPv4Address(event.daddr)
                    print(f"{source}:{event.sport} -> {destination}:{event.dport}  {event.length} bytes", flush=True)
            except KeyboardInterrupt:
                pass
        print("dropped:", ", ".join(f"port {port}: {count}" for port, count in sorted(blocked.items())))


if __name__ == "__main__":
    main()
