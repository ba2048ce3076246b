"""Struct layouts match gcc exactly: size, alignment, offsets and the bytes, padding zeroed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.cstructs import LayoutSpec, instances, layouts, run_c


@st.composite
def cases(draw: st.DrawFn) -> list[tuple[LayoutSpec, Any]]:
    specs = draw(st.lists(layouts(), min_size=1, max_size=12))
    return [(spec, draw(instances(spec))) for spec in specs]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_random_layouts_match_gcc(tmp_path_factory: Any, generated: list[tuple[LayoutSpec, Any]]) -> None:
    c_results = run_c(generated, Path(tmp_path_factory.mktemp("layouts")))
    for (layout, instance), c in zip(generated, c_results, strict=True):
        codec = layout.codec()
        assert (codec.size, codec.align) == (c["size"], c["align"]), layout.name
        real = [i for i, spec in enumerate(layout.fields) if not spec.pad]
        assert [f.offset for f in codec.fields] == [c["offsets"][i] for i in real], layout.name
        packed = codec.pack(instance)
        assert packed == c["bytes"], layout.name
        assert codec.unpack(packed) == instance
        assert codec.unpack_many(packed * 3, 3) == [instance] * 3
        assert codec.pack_many([instance, instance]) == packed * 2
