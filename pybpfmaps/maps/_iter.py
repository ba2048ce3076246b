"""The key walk over BPF_MAP_GET_NEXT_KEY, with bounded, documented behaviour under concurrent change.

When the key handed to GET_NEXT_KEY has been deleted, the kernel restarts from the first key
(docs/kernel-notes.md#get-next-key), so a naive walk revisits keys and can loop for as long as others write.
This walk therefore:

* yields every key at most once (it remembers the keys it yielded);
* after a restart, resumes from the most recently yielded key that is still in the map, so a
  caller deleting the keys it is handed (``for k in m: del m[k]``) costs one step per key;
* yields every key that stays in the map for the whole walk; keys added or removed meanwhile may
  or may not be yielded;
* gives up with ``IterationAbortedError`` after ``4 * max_entries + 64`` GET_NEXT_KEY steps, which
  only a map rewritten faster than it can be read reaches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pybpfmaps.errors import IterationAbortedError

# How far back, in yielded keys, a walk looks for a surviving key to resume from after a restart.
RESUME_DEPTH = 64


def step_limit(max_entries: int) -> int:
    """The most GET_NEXT_KEY steps one walk may take."""
    return 4 * max_entries + 64


def walk_keys(
    next_key: Callable[[bytes | None], bytes | None],
    is_present: Callable[[bytes], bool],
    max_entries: int,
    describe: str,
) -> Iterator[bytes]:
    """Yield the raw keys of a map once each.

    Args:
        next_key: GET_NEXT_KEY on the map: the key after the given one (``None``: the first),
            or ``None`` at the end.
        is_present: Whether a key is in the map right now.
        max_entries: The map's capacity, which sets the step limit.
        describe: The map, for the error message.
    """
    seen: set[bytes] = set()
    recent: list[bytes] = []
    limit = step_limit(max_entries)
    steps = 0
    current: bytes | None = None
    resumed = False
    while True:
        steps += 1
        if steps > limit:
            raise IterationAbortedError(
                f"iteration over {describe} aborted after {limit} steps ({len(seen)} keys yielded): "
                "other writers changed the map faster than it could be walked"
            )
        following = next_key(current)
        if following is None:
            return
        if following not in seen:
            seen.add(following)
            recent.append(following)
            if len(recent) > RESUME_DEPTH:
                del recent[0]
            resumed = False
            current = following
            yield following
            continue
        # A key we already yielded: the kernel restarted (current was deleted) or the map moved.
        if not resumed:
            resumed = True
            survivor = _latest_present(recent, is_present)
            if survivor is not None and survivor != current:
                current = survivor
                continue
        current = following


def _latest_present(recent: list[bytes], is_present: Callable[[bytes], bool]) -> bytes | None:
    for key in reversed(recent):
        if is_present(key):
            return key
    return None
