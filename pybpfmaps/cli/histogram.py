"""``pybpfmaps hist MAP``: draw the log2 or linear histograms a map holds, as BCC's tools draw them
(``pybpfmaps.hist`` finds them: an array of counts, keys with a slot field, or values holding a
``slots[]`` array), or print them as JSON."""

from __future__ import annotations

import argparse
import json

from pybpfmaps import hist
from pybpfmaps.cli.resolve import open_map


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The options of ``hist``."""
    command.add_argument("--unit", default="", help='what the values measure, for the header ("usecs")')
    scale = command.add_mutually_exclusive_group()
    scale.add_argument("--linear", type=int, metavar="STEP", help="a linear histogram whose slots are STEP wide")
    scale.add_argument(
        "--zero-slot", action="store_true", help="log2 slots as BCC's bpf_log2l() counts them: slot 0 holds 0"
    )
    command.add_argument("--start", type=int, default=0, help="the first value of a linear histogram (default 0)")
    command.add_argument("--field", help="the array of counts in struct values (default: slots, or the only array)")
    command.add_argument("--slot", help="the slot field of struct keys (default: slot)")
    command.add_argument("--json", action="store_true", help="the buckets as JSON: a list of sections")


def cmd_hist(args: argparse.Namespace) -> int:
    with open_map(args.map, readonly=True, command="hist") as m:
        found = hist.read(
            m, "linear" if args.linear else "log2", unit=args.unit, field=args.field, slot=args.slot,
            step=args.linear or 1, start=args.start, zero_slot=args.zero_slot,
        )  # fmt: skip
    print(json.dumps(found.to_json()) if args.json else found.render())
    return 0
