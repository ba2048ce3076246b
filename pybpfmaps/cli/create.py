"""``pybpfmaps create TYPE``: make a map from the command line, like ``bpftool map create``, with
its key and value types named as codecs (``u32``, ``ipv4``, ``lpm_ipv4``, ``string(16)``, or a
size in bytes), so that the other commands read and write it in plain notation."""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from typing import Any

import pybpfmaps
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _registry

_SIZED = re.compile(r"(raw|string)\((\d+)\)")
_OPTIONS = {"key": "--key", "value": "--value", "max_entries": "--max-entries", "name": "--name", "flags": "--flags"}


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The options of ``create``."""
    types = ", ".join(t.name.lower() for t in MapType if _registry.lookup(int(t)) is not None)
    command.add_argument("type", metavar="TYPE", help=f"the map type, in bpftool's spelling: {types}")
    command.add_argument(
        "--key", metavar="CODEC", help="the key type: u32, ipv4, lpm_ipv4, string(16), a size in bytes..."
    )
    command.add_argument("--value", metavar="CODEC", help="the value type, as --key")
    command.add_argument(
        "--max-entries", type=int, metavar="N", help="the capacity (ring buffers: the size in bytes; arenas: pages)"
    )
    command.add_argument("--name", help="the map's name (up to 15 characters)")
    command.add_argument("--flags", help="map flags, comma-separated: no_prealloc, mmapable, rdonly_prog, ...")
    command.add_argument("--pin", metavar="PATH", help="pin it there (on a bpf filesystem); else it is gone at exit")


def cmd_create(args: argparse.Namespace) -> int:
    kind = _map_type(args.type)
    cls = _registry.lookup(int(kind))
    creator = getattr(cls, "create", None)
    if cls is None or creator is None:
        raise BpfArgumentError(f"create: pybpfmaps cannot create {args.type} maps")
    parameters = inspect.signature(creator).parameters
    given = {"key": args.key, "value": args.value, "max_entries": args.max_entries, "name": args.name,
             "flags": args.flags}  # fmt: skip
    kwargs: dict[str, Any] = {}
    for option, text in given.items():
        if text is None:
            continue
        target = option if option in parameters else _size_parameter(option, parameters)
        if target is None:
            raise BpfArgumentError(f"create: {args.type} maps take no {_OPTIONS[option]}")
        kwargs[target] = _convert(option, text)
    missing = [name for name, p in parameters.items() if p.default is p.empty and name not in kwargs]
    if missing:
        needed = ", ".join(_OPTIONS.get(name, _OPTIONS["max_entries"] if name in ("size", "pages") else name)
                           for name in missing)  # fmt: skip
        if "inner" in missing:
            raise BpfArgumentError(f"create: {args.type} maps are made with an inner map: create them from Python")
        raise BpfArgumentError(f"create: {args.type} maps need {needed}")
    made = creator(**kwargs)
    try:
        if args.pin:
            made.pin(args.pin)
            print(f"created {made.info.label}, pinned at {args.pin}")
        else:
            print(f"created {made.info.label}", flush=True)
            print("nothing else holds it, so it is gone as this command ends: --pin PATH keeps it", file=sys.stderr)
    finally:
        made.close()
    return 0


def _map_type(name: str) -> MapType:
    try:
        return MapType[name.upper()]
    except KeyError:
        raise BpfArgumentError(f"create: no map type {name!r}; see 'pybpfmaps create --help' for them") from None


def _size_parameter(option: str, parameters: Any) -> str | None:
    """Where ``--max-entries`` goes for maps sized otherwise: ring buffers in bytes, arenas in pages."""
    if option != "max_entries":
        return None
    return next((name for name in ("size", "pages") if name in parameters), None)


def _convert(option: str, text: str) -> Any:
    if option in ("key", "value"):
        return codec_named(text)
    if option == "flags":
        return _flags(text)
    return text if option == "name" else int(text)


def codec_named(text: str) -> Codec[Any]:
    """The codec a name stands for: an exported codec (``u32``, ``be16``, ``ipv4``), ``raw(N)``,
    ``string(N)``, or a size in bytes (raw bytes)."""
    text = text.strip()
    if text.isdigit():
        return pybpfmaps.raw(int(text))
    sized = _SIZED.fullmatch(text)
    if sized:
        factory = pybpfmaps.raw if sized.group(1) == "raw" else pybpfmaps.string
        return factory(int(sized.group(2)))
    codec = getattr(pybpfmaps, text, None) if text in pybpfmaps.__all__ else None
    if not isinstance(codec, Codec):
        raise BpfArgumentError(
            f"create: {text!r} is not a codec name: use u8...u64, i8...i64, be16, be32, ipv4, ipv6, lpm_ipv4, "
            "mac, ifindex, raw(N), string(N) or a size in bytes"
        )
    return codec


def _flags(text: str) -> MapFlags:
    flags = MapFlags.NONE
    for name in filter(None, (part.strip() for part in text.split(","))):
        try:
            flags |= MapFlags[name.upper().removeprefix("BPF_F_")]
        except KeyError:
            known = ", ".join(flag.name.lower() for flag in MapFlags if flag.name and flag.value)
            raise BpfArgumentError(f"create: no map flag {name!r}; the flags are {known}") from None
    return flags
