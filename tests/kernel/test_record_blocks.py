"""Records read as a ``RecordBlock``: columns of a field of every record, left in the buffer until the
next read, from ring buffers and perf buffers fed by real BPF programs (BPF_PROG_TEST_RUN).

What the columns hold is compared with what the programs were sent: the sequence number and tag of
each packet, every record once, in order.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator

import pytest

from pybpfmaps import BpfArgumentError, BpfProgram, ClosedMapError, CodecError, RecordBlock, RingBufMap, RingBufReader
from tests.support import emitters
from tests.support.streams import Event, Stream, open_stream, packet, sent

pytestmark = pytest.mark.needs_kernel("5.8", "ring buffer maps")


@pytest.fixture(params=["ringbuf", "perf"])
def typed(request: pytest.FixtureRequest, on_one_cpu: None) -> Iterator[Stream]:
    """A stream whose records are ``Event``s (a perf ring of one page: reads wrap around its end)."""
    made = open_stream(request.param, value=Event, pages=1)
    yield made
    made.program.close()
    made.map.close()


def test_columns_hold_a_field_of_every_record_in_order(typed: Stream) -> None:
    seqs: list[int] = []
    tags: list[int] = []
    for burst in range(12):  # 24 or 32 bytes a record in a 4096-byte ring: the reads wrap many times
        typed.send(*range(burst * 50, burst * 50 + 50))
        block = typed.map.consume_block()
        assert len(block) == 50
        seqs += block.column("seq")
        tags += block.column("tag")
    assert seqs == list(range(600))
    assert tags == [1000 + seq for seq in range(600)]
    assert len(typed.map.consume_block()) == 0


def test_a_block_gives_each_record_and_its_decoded_copies(typed: Stream) -> None:
    typed.send(*range(5))
    block = typed.map.consume_block()
    assert isinstance(block, RecordBlock)
    assert [bytes(record)[:16] for record in block] == [sent(seq) for seq in range(5)]
    assert bytes(block[-1])[:16] == sent(4)
    assert bytes(block[0])[:16] == sent(0)
    assert block.records() == [Event(seq, 1000 + seq) for seq in range(5)]
    with pytest.raises(IndexError):
        block[5]
    assert "5 records as Event" in repr(block)


def test_a_column_of_one_run_is_the_buffer_itself(typed: Stream) -> None:
    typed.send(*range(20))
    column = typed.map.consume_block().column("seq")
    assert isinstance(column.obj, mmap.mmap)  # no copy: a view of the mapped ring
    assert column.readonly
    assert list(column) == list(range(20))


def test_a_block_ends_at_the_next_read_and_its_space_is_handed_back_then(typed: Stream) -> None:
    typed.send(1, 2, 3)
    block = typed.map.consume_block()
    typed.send(4)
    assert list(block.column("seq")) == [1, 2, 3]  # held: not overwritten, and 4 waits behind
    assert typed.map.consume() == [Event(4, 1004)]
    with pytest.raises(ClosedMapError, match="next read"):
        block.column("seq")
    with pytest.raises(ClosedMapError):
        block[0]
    assert "ended" in repr(block)
    typed.send(5)
    last = typed.map.consume_block()
    typed.map.close()
    with pytest.raises(ClosedMapError):
        list(last)


def test_a_limit_and_a_timeout_apply_to_blocks(typed: Stream) -> None:
    assert len(typed.map.poll_block(0.05)) == 0
    typed.send(*range(10))
    assert list(typed.map.consume_block(limit=4).column("seq")) == [0, 1, 2, 3]
    assert list(typed.map.poll_block(60, limit=4).column("seq")) == [4, 5, 6, 7]
    assert list(typed.map.consume_block().column("seq")) == [8, 9]


def test_records_of_several_lengths_and_discarded_ones_make_one_column() -> None:
    with RingBufMap.create(size=4096, value=Event) as ring:
        short = BpfProgram.load(emitters.ringbuf_output(ring, 16))
        long = BpfProgram.load(emitters.ringbuf_output(ring, 24))
        discarding = BpfProgram.load(emitters.ringbuf_reserve(ring, 16))  # discards odd sequence numbers
        with short, long, discarding:
            expected = []
            for seq in range(40):
                program = (short, long, discarding)[seq % 3]
                program.test_run(packet(seq))
                if program is not discarding or seq % 2 == 0:
                    expected.append(seq)
            block = ring.consume_block()
            column = block.column("seq")
            assert list(column) == expected
            assert not isinstance(column.obj, mmap.mmap)  # gathered from several runs into one array
            assert list(block.column("tag")) == [1000 + seq for seq in expected]


def test_a_column_needs_a_record_type_with_that_field_and_records_long_enough(on_one_cpu: None) -> None:
    with RingBufMap.create(size=4096) as untyped, BpfProgram.load(emitters.ringbuf_output(untyped, 16)) as p:
        p.test_run(packet(1))
        block = untyped.consume_block()
        assert [bytes(record) for record in block] == [sent(1)]
        with pytest.raises(CodecError, match="no type"):
            block.column("seq")
    with RingBufMap.create(size=4096, value=Event) as ring, BpfProgram.load(emitters.ringbuf_output(ring, 8)) as p:
        p.test_run(packet(7))
        block = ring.consume_block()
        assert list(block.column("seq")) == [7]  # the first 8 bytes are there
        with pytest.raises(CodecError, match="too short for tag"):
            block.column("tag")
        with pytest.raises(BpfArgumentError, match="no field 'size'"):
            block.column("size")


def held(ring: RingBufMap) -> int:
    """Bytes of the ring its reader has not handed back."""
    reader = ring.reader
    assert isinstance(reader, RingBufReader)
    return reader.available


def test_releasing_a_block_hands_its_space_back_at_once(on_one_cpu: None) -> None:
    with RingBufMap.create(size=4096, value=Event) as ring, BpfProgram.load(emitters.ringbuf_output(ring, 16)) as p:
        for seq in range(3):
            p.test_run(packet(seq))
        with ring.consume_block() as block:
            assert list(block.column("seq")) == [0, 1, 2]
            assert held(ring) == 3 * 24  # held while the block is out
        assert held(ring) == 0
        with pytest.raises(ClosedMapError):
            block.column("seq")
        block.release()  # again: nothing more
        p.test_run(packet(3))
        stale = ring.consume_block()
        p.test_run(packet(4))
        newer = ring.consume_block()  # ends the first block
        stale.release()  # must not hand back the second block's space
        assert held(ring) == 24
        assert list(newer.column("seq")) == [4]
        newer.release()
        assert held(ring) == 0
