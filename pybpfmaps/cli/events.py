"""``pybpfmaps events MAP``: print the records of a ring buffer or perf event array as they arrive
(like ``bpftool map event_pipe``), decoded by a type of the map's BTF when asked; Ctrl-C ends it
with the count of records received (and, for perf buffers, lost)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Any

from pybpfmaps.cli import text
from pybpfmaps.cli.resolve import open_any
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.maps import PerfEventArrayMap, RingBufMap

STOP_CHECK = 0.2
"""Seconds between looks at whether Ctrl-C was pressed while no records come."""


def cmd_events(args: argparse.Namespace) -> int:
    stream = open_any(args.map)
    if not isinstance(stream, RingBufMap | PerfEventArrayMap):
        kind = stream.info.type_name
        stream.close()
        raise BpfArgumentError(f"events: {kind} maps are not event streams (ring buffers and perf event arrays are)")
    with stream:
        reader = stream.open_reader(args.type) if args.type else stream.reader
        codec: Codec[Any] | None = getattr(reader, "codec", None)
        received = 0
        deadline = None if args.timeout is None else time.monotonic() + args.timeout
        stopped = threading.Event()
        # Ctrl-C ends the command between reads, never between taking a record and printing it
        previous = signal.signal(signal.SIGINT, lambda _signum, _frame: stopped.set())
        try:
            while not stopped.is_set() and (args.count is None or received < args.count):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                wanted = None if args.count is None else args.count - received  # the rest stay for other readers
                for record in reader.poll(STOP_CHECK if left is None else min(left, STOP_CHECK), wanted):
                    received += 1
                    _print(record, codec, args.json)
        finally:
            signal.signal(signal.SIGINT, previous)
        lost: dict[int, int] | None = getattr(reader, "lost", None)
    summary = f"{received} {'record' if received == 1 else 'records'} received"
    if lost is not None:
        summary += f", {sum(lost.values())} lost"
    print(summary, file=sys.stderr)
    return 0


def _print(record: Any, codec: Codec[Any] | None, as_json: bool) -> None:
    if codec is None or isinstance(record, bytes):  # untyped, or a record that is not the type's size
        codec = RawCodec(len(record))
    data = text.to_json(codec, record)
    print(json.dumps(data) if as_json else text.show(record, codec), flush=True)
