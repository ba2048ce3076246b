"""``pybpfmaps events MAP``: print the records of a ring buffer or perf event array as they arrive
(like ``bpftool map event_pipe``), decoded by a type of the map's BTF when asked; Ctrl-C ends it
with the count of records received (and, for perf buffers, lost)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from pybpfmaps.cli import text
from pybpfmaps.cli.resolve import open_any
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.maps import PerfEventArrayMap, RingBufMap


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
        try:
            while args.count is None or received < args.count:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                for record in reader.poll(left):
                    _print(record, codec, args.json)
                    received += 1
                    if received == args.count:
                        break
        except KeyboardInterrupt:
            pass
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
