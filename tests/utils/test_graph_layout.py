"""The layered layout on random DAGs (hypothesis): ranks follow the edges, boxes of a rank never
overlap, edge routes run through one point per rank, and crossing reduction never makes things worse
than the order the nodes came in."""
import itertools

from hypothesis import given, settings, strategies as st

from nnkern.utils.graph_layout import assign_ranks, count_crossings, layered_layout


@st.composite
def dags(draw):
    n = draw(st.integers(1, 12))
    pairs = [(a, b) for a, b in itertools.combinations(range(n), 2)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=20)) if pairs else []
    sizes = draw(st.lists(st.tuples(st.floats(10, 200), st.floats(10, 60)), min_size=n, max_size=n))
    return list(range(n)), edges, sizes


def longest_path_ranks(nodes, edges):
    """Reference: repeat rank[dst] = max(rank[dst], rank[src] + 1) until nothing changes."""
    rank = {n: 0 for n in nodes}
    changed = True
    while changed:
        changed = False
        for a, b in edges:
            if rank[b] < rank[a] + 1:
                rank[b] = rank[a] + 1
                changed = True
    return rank


@settings(max_examples=60, deadline=None)
@given(dags())
def test_layout_invariants(graph):
    nodes, edges, sizes = graph
    layout = layered_layout(nodes, edges, lambda n: sizes[n], node_gap=20, rank_gap=40)
    assert assign_ranks(nodes, edges) == longest_path_ranks(nodes, edges)
    assert sorted(n for r in layout.ranks for n in r) == nodes
    rank_of = {n: r for r, rank_nodes in enumerate(layout.ranks) for n in rank_nodes}
    for a, b in edges:
        assert rank_of[a] < rank_of[b]
        route = layout.routes[(a, b)]
        assert route[0] == layout.positions[a] and route[-1] == layout.positions[b]
        assert len(route) == rank_of[b] - rank_of[a] + 1
        ys = [p[1] for p in route]
        assert ys == sorted(ys)
    for rank_nodes in layout.ranks:
        ordered = sorted(rank_nodes, key=lambda n: layout.positions[n][0])
        for left, right in zip(ordered, ordered[1:]):
            gap = (layout.positions[right][0] - sizes[right][0] / 2) - (layout.positions[left][0] + sizes[left][0] / 2)
            assert gap >= 20 - 1e-6
        assert len({layout.positions[n][1] for n in rank_nodes}) == 1
    for n in nodes:
        x, y = layout.positions[n]
        assert x - sizes[n][0] / 2 >= -1e-6 and x + sizes[n][0] / 2 <= layout.width + 1e-6
        assert y - sizes[n][1] / 2 >= -1e-6 and y + sizes[n][1] / 2 <= layout.height + 1e-6


def test_crossing_reduction_untangles_a_crossed_pair():
    # a->d and b->c cross in the given order; the barycenter sweep swaps c and d.
    nodes, edges = ["a", "b", "c", "d"], [("a", "d"), ("b", "c")]
    assert count_crossings([["a", "b"], ["c", "d"]], edges) == 1
    layout = layered_layout(nodes, edges, lambda n: (30, 10))
    assert count_crossings(layout.ranks, edges) == 0
    assert layout.positions["a"][0] < layout.positions["b"][0]
    assert layout.positions["d"][0] < layout.positions["c"][0]


def test_a_cycle_is_refused():
    import pytest
    with pytest.raises(ValueError, match="cycle"):
        layered_layout(["a", "b"], [("a", "b"), ("b", "a")], lambda n: (1, 1))
