"""Codec throughput: ns per element of pack_many/unpack_many for typical key and value layouts.

Run with ``make bench`` (or ``python bench/codec_throughput.py [--quick]``). No kernel access needed.
"""

from __future__ import annotations

import argparse
import ipaddress
import time
from collections.abc import Callable
from typing import Any

from layouts import Flow, Process, Stats

from pybpfmaps import Codec, codec_for, u32, u64
from pybpfmaps.btf import format as btf
from pybpfmaps.btf.to_codec import Decoder
from pybpfmaps.codecs.hooks import btf_type


def from_btf(codec: Codec[Any]) -> Codec[Any]:
    """The codec pybpfmaps makes from *codec*'s BTF: how maps made elsewhere are decoded."""
    builder = btf.Builder()
    type_id = btf_type(codec, builder)
    return Decoder(btf.parse(builder.blob()).types).codec(type_id, codec.size)


def best_of(repeats: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def measure(name: str, codec: Codec[Any], values: list[Any], repeats: int) -> tuple[str, float, float]:
    buffer = codec.pack_many(values)
    pack = best_of(repeats, lambda: codec.pack_many(values))
    unpack = best_of(repeats, lambda: codec.unpack_many(buffer, len(values)))
    return name, 1e9 * pack / len(values), 1e9 * unpack / len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k elements, 3 repeats")
    args = parser.parse_args()
    n, repeats = (10_000, 3) if args.quick else (200_000, 5)
    flows = [Flow(ipaddress.IPv4Address(0x0A000000 + i), ipaddress.IPv4Address(0x0A800000 + i), i % 65536, 443, 6)
             for i in range(n)]  # fmt: skip
    rows = [
        measure("u32", u32, list(range(n)), repeats),
        measure("u64", u64, list(range(n)), repeats),
        measure("Flow (16 B: 2x ipv4, 2x be16, u8)", codec_for(Flow), flows, repeats),
        measure("Stats (32 B: 4x u64)", codec_for(Stats), [Stats(i, i, i, i) for i in range(n)], repeats),
        measure(
            "Process (20 B: u32, char[16])", codec_for(Process), [Process(i, "python3") for i in range(n)], repeats
        ),
    ]
    typed = [from_btf(codec_for(layout)) for layout in (Flow, Stats)]  # the same layouts, typed from BTF
    rows += [
        measure(
            "Flow, typed from its BTF", typed[0], [typed[0].unpack(codec_for(Flow).pack(f)) for f in flows], repeats
        ),
        measure("Stats, typed from its BTF", typed[1], [typed[1].unpack(bytes(32)) for i in range(n)], repeats),
    ]
    print(f"codec throughput, {n} elements, best of {repeats}")
    print(f"{'layout':<36} {'pack_many ns/elem':>18} {'unpack_many ns/elem':>20}")
    for name, pack, unpack in rows:
        print(f"{name:<36} {pack:>18.0f} {unpack:>20.0f}")


if __name__ == "__main__":
    main()
