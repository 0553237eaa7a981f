"""A layered (Sugiyama-style) layout of a directed acyclic graph, in pure Python.

Three steps, each kept simple:
1. layer assignment: longest path from the sources (a node sits one rank below its lowest parent);
2. crossing reduction: edges spanning several ranks get a dummy node per rank crossed, then nodes
   are reordered within each rank by the barycenter of their neighbours in the rank above (sweeping
   down) or below (sweeping up), keeping the order with the fewest crossings;
3. coordinates: nodes are packed left to right at their ranks' order, then pulled towards the mean
   position of their neighbours a few times, never closer than their widths allow.

Sizes are in any unit (the caller's points); ranks grow downwards (y = rank index * rank gap).
"""
from dataclasses import dataclass, field

_SWEEPS = 8
_COORDINATE_PASSES = 8


@dataclass
class Layout:
    """Node centres ``positions[node] = (x, y)``; ``routes[(src, dst)]`` the points an edge passes
    through (its ends' centres and the dummy nodes between); total ``width`` and ``height``."""
    positions: dict
    routes: dict
    width: float
    height: float
    ranks: list = field(default_factory=list)


def assign_ranks(nodes, edges):
    """Rank of each node: 0 for sources, else 1 + the highest rank among its parents."""
    parents = {n: [] for n in nodes}
    for src, dst in edges:
        parents[dst].append(src)
    rank = {}

    def visit(node, trail):
        if node in rank:
            return rank[node]
        if node in trail:
            raise ValueError(f"graph_layout: the graph has a cycle through {node!r}")
        trail.add(node)
        rank[node] = 1 + max((visit(p, trail) for p in parents[node]), default=-1)
        trail.discard(node)
        return rank[node]

    for node in nodes:
        visit(node, set())
    return rank


def _split_long_edges(nodes, edges, rank):
    """Ranks as lists of nodes (graph order), the edges between adjacent ranks only, and each
    original edge's chain of nodes."""
    ranks = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for node in nodes:
        ranks[rank[node]].append(node)
    short_edges, chains = [], {}
    for src, dst in edges:
        chain = [src]
        for r in range(rank[src] + 1, rank[dst]):
            dummy = ("dummy", src, dst, r)
            ranks[r].append(dummy)
            chain.append(dummy)
        chain.append(dst)
        chains[(src, dst)] = chain
        short_edges.extend(zip(chain, chain[1:]))
    return ranks, short_edges, chains


def count_crossings(ranks, short_edges):
    """Pairs of edges between the same two ranks that cross."""
    position = {node: i for rank_nodes in ranks for i, node in enumerate(rank_nodes)}
    rank_index = {node: r for r, rank_nodes in enumerate(ranks) for node in rank_nodes}
    by_rank = {}
    for src, dst in short_edges:
        by_rank.setdefault(rank_index[src], []).append((position[src], position[dst]))
    crossings = 0
    for pairs in by_rank.values():
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1:]:
                if (a1 - a2) * (b1 - b2) < 0:
                    crossings += 1
    return crossings


def reduce_crossings(ranks, short_edges):
    """Ranks reordered by barycenter sweeps; the best order seen is returned."""
    up = {n: [] for rank_nodes in ranks for n in rank_nodes}
    down = {n: [] for rank_nodes in ranks for n in rank_nodes}
    for src, dst in short_edges:
        down[src].append(dst)
        up[dst].append(src)
    best, best_crossings = [list(r) for r in ranks], count_crossings(ranks, short_edges)
    current = [list(r) for r in ranks]
    for sweep in range(_SWEEPS):
        downwards = sweep % 2 == 0
        order = range(1, len(current)) if downwards else range(len(current) - 2, -1, -1)
        for r in order:
            fixed = current[r - 1] if downwards else current[r + 1]
            fixed_position = {n: i for i, n in enumerate(fixed)}
            neighbours = up if downwards else down

            def barycenter(node, i):
                linked = [fixed_position[n] for n in neighbours[node] if n in fixed_position]
                return sum(linked) / len(linked) if linked else i  # unlinked nodes keep their place

            current[r] = [n for _, _, n in sorted((barycenter(n, i), i, n) for i, n in enumerate(current[r]))]
        crossings = count_crossings(current, short_edges)
        if crossings < best_crossings:
            best, best_crossings = [list(r) for r in current], crossings
    return best


def assign_x(ranks, short_edges, width_of, gap):
    """x centre of every node: packed, then pulled towards its neighbours' mean without overlaps."""
    neighbours = {n: [] for rank_nodes in ranks for n in rank_nodes}
    for src, dst in short_edges:
        neighbours[src].append(dst)
        neighbours[dst].append(src)
    x = {}
    for rank_nodes in ranks:
        left = 0.0
        for node in rank_nodes:
            x[node] = left + width_of(node) / 2
            left += width_of(node) + gap
    for _ in range(_COORDINATE_PASSES):
        for rank_nodes in ranks:
            wanted = [sum(x[m] for m in neighbours[n]) / len(neighbours[n]) if neighbours[n] else x[n]
                      for n in rank_nodes]
            # Keep the order: each node at least half widths + gap right of the one before it.
            placed = []
            for node, target in zip(rank_nodes, wanted):
                if placed:
                    prev = placed[-1]
                    target = max(target, x[prev] + (width_of(prev) + width_of(node)) / 2 + gap)
                x[node] = target
                placed.append(node)
            # Then shift the rank back so its centre of mass matches what its neighbours asked for.
            shift = (sum(wanted) - sum(x[n] for n in rank_nodes)) / max(len(rank_nodes), 1)
            for node in rank_nodes:
                x[node] += shift
    left = min((x[n] - width_of(n) / 2 for n in x), default=0.0)
    return {n: v - left for n, v in x.items()}


def layered_layout(nodes, edges, size_of, node_gap=20.0, rank_gap=40.0):
    """Lay out ``nodes`` (hashable, in graph order) joined by ``edges`` (pairs, acyclic) where
    ``size_of(node)`` gives ``(width, height)``. Returns a :class:`Layout`."""
    nodes = list(nodes)
    edges = list(dict.fromkeys(edges))
    rank = assign_ranks(nodes, edges)
    ranks, short_edges, chains = _split_long_edges(nodes, edges, rank)
    ranks = reduce_crossings(ranks, short_edges)

    def width_of(node):
        return 0.0 if node not in rank else size_of(node)[0]

    x = assign_x(ranks, short_edges, width_of, node_gap)
    heights = [max((size_of(n)[1] for n in r if n in rank), default=0.0) for r in ranks]
    y, top = {}, 0.0
    for r, rank_nodes in enumerate(ranks):
        for node in rank_nodes:
            y[node] = top + heights[r] / 2
        top += heights[r] + rank_gap
    positions = {n: (x[n], y[n]) for n in nodes}
    routes = {e: [(x[n], y[n]) for n in chain] for e, chain in chains.items()}
    width = max((x[n] + width_of(n) / 2 for n in x), default=0.0)
    return Layout(positions, routes, width, max(top - rank_gap, 0.0), [[n for n in r if n in rank] for r in ranks])
