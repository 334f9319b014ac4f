from hypothesis import given
from hypothesis import strategies as st

from core.ranges import RangeSet

intervals = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 60)).map(lambda t: (t[0], t[0] + t[1])),
                     max_size=40)


@given(intervals)
def test_rangeset_matches_a_set_of_bytes(ivs):
    rs = RangeSet()
    model: set[int] = set()
    for a, b in ivs:
        rs.add(a, b)
        model.update(range(a, b))
    assert rs.total() == len(model)
    flat = set()
    prev_end = -1
    for a, b in rs:
        assert a < b
        assert a > prev_end, "intervals must be disjoint and not touching"
        prev_end = b
        flat.update(range(a, b))
    assert flat == model
    missing = set()
    for a, b in rs.missing(400):
        missing.update(range(a, b))
    assert missing == set(range(400)) - model
    p = rs.prefix()
    assert set(range(p)) <= model and (p not in model)
