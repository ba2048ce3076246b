"""Ring buffers and perf event arrays read as streams, fed by real BPF programs run with BPF_PROG_TEST_RUN.

Each record a program sends is the first 16 bytes of a packet: a sequence number and a tag. What
arrives is compared with what was sent: every record once, in the order sent, nothing missing
that the kernel did not report lost.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pybpfmaps import BpfArgumentError, BpfProgram, MapCore, PerfEventArrayMap, Poller, RingBufMap
from pybpfmaps.streams import StreamReader
from tests.support import emitters
from tests.support.streams import RECORD, Event, Stream, open_stream, packet, sent

pytestmark = pytest.mark.needs_kernel("5.8", "ring buffer maps")


@pytest.fixture(params=["ringbuf", "perf"])
def stream(request: pytest.FixtureRequest, on_one_cpu: None) -> Iterator[Stream]:
    made = open_stream(request.param)
    yield made
    made.program.close()
    made.map.close()


def test_every_record_arrives_once_in_the_order_sent(stream: Stream) -> None:
    # 24 bytes a record in a 4096-byte ring: reading between bursts wraps around the end many times
    received: list[bytes] = []
    for burst in range(12):
        stream.send(*range(burst * 50, burst * 50 + 50))
        received += stream.map.consume()
    assert received == [stream.expected(seq) for seq in range(600)]
    assert stream.map.consume() == []


def test_records_decode_as_the_record_type(on_one_cpu: None) -> None:
    for kind in ("ringbuf", "perf"):
        made = open_stream(kind, value=Event)
        with made.map, made.program:
            made.send(7, 8)
            assert made.map.consume() == [Event(7, 1007), Event(8, 1008)], kind


def test_poll_gives_nothing_at_its_timeout_and_wakes_for_a_record(stream: Stream) -> None:
    started = time.monotonic()
    assert stream.map.poll(0.05) == []
    assert time.monotonic() - started >= 0.04
    producer = threading.Thread(target=stream.send, args=(1,))
    producer.start()  # whether it sends before or during the wait, the record is taken
    try:
        received = stream.map.poll(60)
        while not received:  # a wake-up may come before the sample is whole: wait on for it
            received = stream.map.poll(60)
    finally:
        producer.join()
    assert received == [stream.expected(1)]


def test_close_ends_an_iteration_that_waits_in_another_thread(stream: Stream) -> None:
    stream.send(1, 2)
    received: list[Any] = []
    consumer = threading.Thread(target=lambda: received.extend(stream.map))
    consumer.start()
    deadline = time.monotonic() + 60
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stream.map.close()
    consumer.join(60)
    assert not consumer.is_alive()
    assert received == [stream.expected(1), stream.expected(2)]
    assert stream.map.reader.closed


def test_async_iteration_waits_on_the_event_loop_without_a_thread(stream: Stream) -> None:
    async def main() -> list[Any]:
        threads = threading.active_count()
        loop = asyncio.get_running_loop()
        for seq in range(5):
            loop.call_later(0.01 * seq, stream.send, seq)
        received = []
        async for record in stream.map:
            received.append(record)
            assert threading.active_count() == threads
            if len(received) == 5:
                break
        return received

    assert asyncio.run(asyncio.wait_for(main(), 60)) == [stream.expected(seq) for seq in range(5)]


def test_async_iteration_ends_when_the_map_is_closed(stream: Stream) -> None:
    async def main() -> list[Any]:
        asyncio.get_running_loop().call_later(0.05, stream.map.close)
        return [record async for record in stream.map]

    assert asyncio.run(asyncio.wait_for(main(), 60)) == []


def test_views_hold_the_space_until_the_next_read(stream: Stream) -> None:
    stream.send(1, 2, 3)
    views = stream.map.consume_views()
    assert [bytes(view) for view in views] == [stream.expected(seq) for seq in (1, 2, 3)]
    assert all(isinstance(view, memoryview) for view in views)
    stream.send(4)
    assert [bytes(view) for view in views] == [stream.expected(seq) for seq in (1, 2, 3)]  # not overwritten
    assert stream.map.consume() == [stream.expected(4)]


def test_a_reader_is_a_file_that_select_sees_readable(stream: Stream) -> None:
    import select

    reader: StreamReader = stream.map.reader
    assert select.select([reader], [], [], 0)[0] == []
    stream.send(1)
    assert select.select([reader], [], [], 60)[0] == [reader]
    assert reader.consume() == [stream.expected(1)]


# -- ring buffers --------------------------------------------------------------------------------


def test_discarded_records_are_skipped() -> None:
    with (
        RingBufMap.create(size=4096, value=Event) as ring,
        BpfProgram.load(emitters.ringbuf_reserve(ring, RECORD)) as p,
    ):
        for seq in range(10):
            p.test_run(packet(seq))  # odd sequence numbers are discarded by the program
        assert ring.consume() == [Event(seq, 1000 + seq) for seq in range(0, 10, 2)]


def test_a_record_that_is_not_the_record_types_size_comes_as_bytes() -> None:
    with RingBufMap.create(size=4096, value=Event) as ring, BpfProgram.load(emitters.ringbuf_output(ring, 24)) as p:
        p.test_run(packet(5))
        assert ring.consume() == [packet(5)[:24]]


def test_a_full_ring_refuses_records_and_keeps_the_ones_it_holds() -> None:
    with RingBufMap.create(size=4096) as ring, BpfProgram.load(emitters.ringbuf_output(ring, RECORD)) as p:
        for seq in range(400):
            p.test_run(packet(seq))
        received = ring.consume()
    assert received == [sent(seq) for seq in range(len(received))]
    assert len(received) == 4096 // 24  # 170 records of 24 bytes fit; the rest were refused


def test_a_ring_opened_by_pin_shares_the_consumer_position(bpffs: Any) -> None:
    with RingBufMap.create(size=4096) as ring, BpfProgram.load(emitters.ringbuf_output(ring, RECORD)) as p:
        ring.pin(bpffs / "events")
        p.test_run(packet(1))
        p.test_run(packet(2))
        with MapCore.from_pin(bpffs / "events", value=Event) as again:
            assert isinstance(again, RingBufMap)
            assert again.consume() == [Event(1, 1001), Event(2, 1002)]
            p.test_run(packet(3))
        assert ring.consume() == [sent(3)]  # the kernel keeps one consumer position per ring


# -- perf event arrays ---------------------------------------------------------------------------


def test_samples_that_did_not_fit_are_counted_lost(on_one_cpu: None) -> None:
    dropped: list[tuple[int, int]] = []
    with PerfEventArrayMap.create() as events, BpfProgram.load(emitters.perf_event_output(events, RECORD)) as p:
        reader = events.open_reader(Event, pages=1, on_lost=lambda cpu, count: dropped.append((cpu, count)))
        for seq in range(400):  # 32 bytes a sample record in 4096 bytes: most do not fit
            p.test_run(packet(seq))
        received = events.consume()
        # the kernel reports a loss with the next sample that finds room: a LOST record before it
        p.test_run(packet(400))
        received += events.consume()
        lost = sum(reader.lost.values())  # type: ignore[attr-defined]
    kept = len(received) - 1
    assert received == [Event(seq, 1000 + seq) for seq in range(kept)] + [Event(400, 1400)]
    assert lost > 0
    assert kept + lost == 400
    assert sum(count for _cpu, count in dropped) == lost
    assert {cpu for cpu, _count in dropped} == {min(os.sched_getaffinity(0))}


def test_a_wakeup_watermark_wakes_readers_only_once_that_much_is_waiting(on_one_cpu: None) -> None:
    import select

    with PerfEventArrayMap.create() as events, BpfProgram.load(emitters.perf_event_output(events, RECORD)) as p:
        reader = events.open_reader(pages=2, wakeup_bytes=1024)
        p.test_run(packet(0))
        assert select.select([reader], [], [], 0.05)[0] == []  # 32 bytes wait: no wake-up yet
        for seq in range(1, 40):
            p.test_run(packet(seq))  # 40 * 32 bytes: past the watermark
        assert select.select([reader], [], [], 60)[0] == [reader]
        assert len(events.consume()) == 40


def test_closing_the_reader_empties_the_slots_it_filled(on_one_cpu: None) -> None:
    with PerfEventArrayMap.create() as events, BpfProgram.load(emitters.perf_event_output(events, RECORD)) as p:
        assert p.test_run(packet(0)).retval == emitters.XDP_DROP  # no perf buffer yet: the helper fails
        first = events.open_reader()
        assert p.test_run(packet(1)).retval == emitters.XDP_PASS
        second = events.open_reader()  # closes the first (emptying its slots), then fills them again
        assert first.closed
        assert p.test_run(packet(2)).retval == emitters.XDP_PASS
        assert events.consume() == [sent(2) + bytes(4)]
        second.close()
        assert p.test_run(packet(3)).retval == emitters.XDP_DROP


def test_samples_that_straddle_the_end_of_the_ring_arrive_whole_and_in_order(on_one_cpu: None) -> None:
    # 24 bytes a sample: 40-byte records, and a one-page ring holds 102.4 of them: every lap, one
    # record is split between the end of the ring and its start
    with PerfEventArrayMap.create() as events, BpfProgram.load(emitters.perf_event_output(events, 24)) as p:
        events.open_reader(Event, pages=1)
        copies: list[Any] = []
        seqs: list[int] = []
        for burst in range(30):
            for seq in range(burst * 80, burst * 80 + 80):
                p.test_run(packet(seq))
            if burst % 2:
                with events.consume_block() as block:  # hands the space back at its end
                    seqs += block.column("seq")
            else:
                copies += [
                    record[:24] for record in events.consume(limit=50) + events.consume()
                ]  # padding: stale bytes
        assert seqs == [seq for burst in range(1, 30, 2) for seq in range(burst * 80, burst * 80 + 80)]
        assert copies == [packet(seq)[:24] for burst in range(0, 30, 2) for seq in range(burst * 80, burst * 80 + 80)]
        assert sum(events.reader.lost.values()) == 0  # type: ignore[attr-defined]


# -- several streams -----------------------------------------------------------------------------


def test_one_poller_waits_on_several_streams_and_says_where_each_record_came_from(on_one_cpu: None) -> None:
    first, second, third = open_stream("ringbuf"), open_stream("ringbuf", value=Event), open_stream("perf")
    try:
        with Poller(first.map, second.map, third.map.reader) as poller:
            assert poller.poll(0.02) == []
            second.send(1)
            first.send(2, 3)
            third.send(4)
            received = poller.poll(60)
            while len(received) < 4:
                received += poller.poll(60)
            assert received == [
                (first.map, sent(2)), (first.map, sent(3)), (second.map, Event(1, 1001)),
                (third.map.reader, sent(4) + bytes(4)),
            ]  # fmt: skip
    finally:
        for each in (first, second, third):
            each.program.close()
            each.map.close()


def test_closing_a_poller_ends_its_iteration_in_another_thread_and_async() -> None:
    ring = RingBufMap.create(size=4096)
    with ring, BpfProgram.load(emitters.ringbuf_output(ring, RECORD)) as program:
        poller = Poller(ring)
        received: list[Any] = []
        consumer = threading.Thread(target=lambda: received.extend(poller))
        consumer.start()
        program.test_run(packet(1))
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline:
            time.sleep(0.01)
        poller.close()
        consumer.join(60)
        assert not consumer.is_alive()
        assert received == [(ring, sent(1))]

        async def main() -> list[Any]:
            async_poller = Poller(ring)
            loop = asyncio.get_running_loop()
            loop.call_later(0.01, program.test_run, packet(2))
            pairs = []
            async for pair in async_poller:
                pairs.append(pair)
                loop.call_later(0.05, async_poller.close)  # the iteration waits on, until this
            return pairs

        assert asyncio.run(asyncio.wait_for(main(), 60)) == [(ring, sent(2))]
        assert not ring.closed  # a poller leaves its streams open


def test_views_of_a_ring_buffer_are_read_only() -> None:
    with RingBufMap.create(size=4096) as ring, BpfProgram.load(emitters.ringbuf_output(ring, RECORD)) as p:
        p.test_run(packet(1))
        (view,) = ring.consume_views()
        assert view.readonly  # the kernel maps the data read-only: a write would crash the process
        with pytest.raises(TypeError):
            view[0] = 1


def test_records_of_mixed_lengths_and_runs_of_one_length_both_arrive_in_order() -> None:
    # a run of records of one length is read in one piece; anything else record by record
    with RingBufMap.create(size=4096) as ring:
        short, long = (BpfProgram.load(emitters.ringbuf_output(ring, size)) for size in (16, 24))
        with short, long:
            expected = []
            for seq in range(30):
                program, size = (short, 16) if seq % 3 else (long, 24)
                program.test_run(packet(seq))
                expected.append(packet(seq)[:size])
            assert ring.consume() == expected
            for seq in range(30, 60):
                short.test_run(packet(seq))
            views = ring.consume_views()
            assert [bytes(view) for view in views] == [sent(seq) for seq in range(30, 60)]
            del views
            assert ring.consume() == []


def test_a_limit_leaves_the_rest_for_the_next_read(stream: Stream) -> None:
    stream.send(*range(10))
    assert stream.map.consume(limit=3) == [stream.expected(seq) for seq in range(3)]
    assert [bytes(view) for view in stream.map.consume_views(limit=2)] == [stream.expected(seq) for seq in (3, 4)]
    assert stream.map.poll(60, limit=4) == [stream.expected(seq) for seq in range(5, 9)]
    assert stream.map.consume() == [stream.expected(9)]
    with pytest.raises(BpfArgumentError):
        stream.map.consume(limit=0)


def test_a_limit_applies_to_records_of_mixed_lengths_too() -> None:
    with RingBufMap.create(size=4096) as ring:
        short, long = (BpfProgram.load(emitters.ringbuf_output(ring, size)) for size in (16, 24))
        with short, long:
            for seq in range(6):
                (long if seq == 2 else short).test_run(packet(seq))
            assert ring.consume(limit=4) == [sent(0), sent(1), packet(2)[:24], sent(3)]
            assert ring.consume() == [sent(4), sent(5)]


def test_a_long_run_of_records_is_split_exactly(stream: Stream) -> None:
    stream.send(*range(150))  # more than one chunk of the splitter (RUN_CHUNK), and a remainder
    assert stream.map.consume() == [stream.expected(seq) for seq in range(150)]
