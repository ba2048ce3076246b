"""A two-minute tour: create a map, fill it, read it back through a second handle, and show it."""

from __future__ import annotations

import ipaddress

from pybpfmaps import ArrayMap, BpfMap, HashMap, LruHashMap, MapFullError, UpdateFlags, be32, u64


def main() -> None:
    print("== a hash map of IPv4 address -> bytes seen, keys in network byte order")
    with HashMap.create(key=be32, value=u64, max_entries=256, name="bytes_by_ip") as flows:
        for host in range(1, 201):
            flows[int(ipaddress.IPv4Address(f"10.0.0.{host}"))] = host * 1500
        print(repr(flows))
        print(f"{len(flows)} entries written")

        with BpfMap.from_id(flows.id, key=be32, value=u64, readonly=True) as reader:
            print(f"opened again by id, read-only: {reader!r}")
            top = sorted(reader.items(), key=lambda item: item[1], reverse=True)[:3]
            for address, seen in top:
                print(f"  {ipaddress.IPv4Address(address)!s:<12} {seen:>8} bytes")
            assert dict(reader) == dict(flows)

        flows.put(int(ipaddress.IPv4Address("10.0.0.1")), 1, UpdateFlags.EXIST)
        info = flows.info
        print(f"info: type={info.type_name} key_size={info.key_size} value_size={info.value_size} frozen={info.frozen}")

    print("\n== a full hash map says so")
    with HashMap.create(key=be32, value=u64, max_entries=2, name="tiny") as tiny:
        tiny.update({1: 1, 2: 2})
        try:
            tiny[3] = 3
        except MapFullError as exc:
            print(f"MapFullError: {exc}")

    print("\n== an LRU map evicts instead")
    with LruHashMap.create(key=be32, value=u64, max_entries=64, name="recent") as recent:
        for n in range(1000):
            recent[n] = n
        print(f"{recent!r}: {len(recent)} keys after 1000 writes, newest kept: {999 in recent}")

    print("\n== an array of counters")
    with ArrayMap.create(value=u64, max_entries=4, name="counters") as counters:
        counters[2] = 42
        print(f"{counters!r}: {dict(counters)}")


if __name__ == "__main__":
    main()
