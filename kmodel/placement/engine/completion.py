"""Bin completion: a primal search for a packing of every pod on a given number of nodes.

Column generation often proves a lower bound ``k`` that is the optimum while no heuristic finds
a packing on ``k`` nodes: on the classic hard instances the total slack a packing on ``k`` nodes
may leave, ``k * capacity - sum(demands)``, is a few units out of hundreds of thousands, so
almost every node must be nearly full. :func:`complete_bins` searches for such a packing
directly, with bin completion (Korf, "An improved algorithm for optimal bin packing", IJCAI
2003; Fukunaga and Korf, "Bin completion algorithms for multicontainer packing, knapsack, and
covering problems", JAIR 2007):

* the waste budget: a packing on ``k`` identical nodes leaves, in each dimension ``d``, a total
  slack of exactly ``budget_d = k * cap_d - sum_i w_id``; nodes are filled one at a time and
  each node's slack is charged to the budget, so a node that wastes more than is left is never
  built;
* the anchor: each bin is built around one pod still unplaced (every pod lies in some bin, so
  nothing is lost) and the search branches only on the rest of that bin, its *completion*: a
  multiset over the pod classes still unplaced whose slack fits the budget. With several
  dimensions the anchor is the largest pod (by the sum of its demand shares, as
  :mod:`kmodel.placement.engine.heuristics` orders pods); in one dimension it is the pod with the
  fewest reachable fills within the budget (fail first), the larger on ties;
* completions are enumerated over classes in decreasing size with suffix-sum pruning; in one
  dimension subset-sum bitsets (Python integers) prune every partial completion that no sum
  of the classes after it can close to within the allowed slack, and give a waste bound at
  each node (the bin of a pod of weight ``w`` wastes at least ``c - w - best(c - w)``; pods
  over half the capacity have bins of their own, so their wastes add up);
* Korf's dominance rule: a completion from which a pod can be added, or in which a pod can be
  swapped for a larger unplaced one (larger in every dimension) that still fits, is dominated
  (moving that larger pod out of the node that holds it in any packing keeps every node
  feasible) and is skipped; off when a group has an anti-affinity limit that binds;
* the order of the completions: with several dimensions, the least slack weighted by each
  dimension's budget first; in one dimension, alternately by run, (slack in units of an even
  share of the budget left, fewest pods) and (fewest pods, slack): fewer pods per bin means
  larger ones, and keeps the small pods that close the last bins;
* a memo of failed states: the multiset left and the number of nodes already filled; a state
  whose subtree was explored completely and failed is never explored again at that depth or
  deeper (fewer nodes left);
* restarts with a growing node limit: the first runs try completions in the exact order;
  later runs move each completion by a few positions with a seeded :class:`random.Random`,
  so the same seed always gives the same packing. A run that ends without hitting its node
  limit has explored everything: no packing on ``k`` nodes exists.

Pure Python; nothing reads the wall clock except for the caller's deadline.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from kmodel.errors import InputError
from kmodel.placement.engine.isolated import BackgroundCall
from kmodel.placement.engine.pricing import MAX_SEARCH_DEPTH
from kmodel.placement.engine.problem import PackingProblem, check_placement
from kmodel.placement.engine.schedule import SCHEDULE, Clock

__all__ = ["BackgroundCompletion", "complete_bins", "completion_applies"]

#: Search nodes in the first run; each restart multiplies the limit by :data:`_GROWTH`.
_FIRST_LIMIT = 1_000
_GROWTH = 1.1
#: Runs in the exact order before restarts start perturbing it.
_EXACT_RUNS = 2
#: How far (in positions of the order) a perturbed run may move a completion.
_PERTURBATION = 3.0
#: The deadline is read once per this many enumeration steps or search nodes.
_TICKS_PER_CLOCK = 64

# A completion: the slack it leaves in each dimension, then (class, count) per class it takes.
_Completion = tuple[tuple[int, ...], tuple[tuple[int, int], ...]]


class _DeadlineReachedError(Exception):
    """The caller's deadline passed: stop at once."""


class _NodeLimitError(Exception):
    """The run used its node limit: restart with a larger one."""


@dataclass
class _Classes:
    """Pods with the same demand (and no anti-affinity limit) merged into one class.

    Attributes:
        demands: demand vector per class, classes in decreasing size (the anchor order).
        counts: pods per class.
        limits: most pods of the class per node (``None``: unlimited).
        members: for each class, the problem groups it merges, in group order.
    """

    demands: list[tuple[int, ...]]
    counts: list[int]
    limits: list[int | None]
    members: list[list[int]]


def completion_applies(problem: PackingProblem) -> bool:
    """True when :func:`complete_bins` can search ``problem``.

    That is: every node type with nodes has the same free capacity and no bound load, no group
    has domain caps, and every group may run on every node type and fits its free capacity.
    Anti-affinity (``max_per_node``) is supported.

    Raises:
        InputError: ``problem`` is not a :class:`PackingProblem`.
    """
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    types = [t for t in problem.node_types if t.count]
    if not types:
        return problem.n_items == 0
    if any(t.preloaded for t in types) or len({t.free for t in types}) != 1:
        return False
    names = {t.name for t in types}
    free = types[0].free
    for grp in problem.groups:
        if not grp.count:
            continue
        if grp.domain_caps:
            return False
        if grp.allowed_node_types is not None and not names <= grp.allowed_node_types:
            return False
        if any(w > c for w, c in zip(grp.demand, free, strict=True)):
            return False
    return True


def complete_bins(
    problem: PackingProblem, bins: int, *, deadline: float, seed: int = 0
) -> dict[int, int] | None:
    """Find a placement of every pod on at most ``bins`` nodes, by bin completion.

    See the module docstring for the method. The nodes used are the first ``bins`` nodes in
    order of increasing cost (then index), so under a COST objective the packing uses the
    cheapest nodes.

    Args:
        problem: the packing problem; it must satisfy :func:`completion_applies`, otherwise
            the answer is ``None``.
        bins: the most nodes the placement may use.
        deadline: a :func:`time.perf_counter` value; the search returns ``None`` soon after it.
        seed: seeds the perturbation of the completion order between restarts.

    Returns:
        item index -> node index (numbered as in :mod:`kmodel.placement.engine.problem`) for every
        item, or ``None`` when no packing on ``bins`` nodes was found: before the deadline,
        or because none exists (the search was exhaustive), or because the problem is not one
        this search handles.

    Raises:
        InputError: an argument has the wrong type or a negative ``bins``.
    """
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    if isinstance(bins, bool) or not isinstance(bins, int):
        raise InputError(f"expected an integer, got {bins!r}", path="bins")
    if bins < 0:
        raise InputError(f"must be >= 0, got {bins}", path="bins")
    if isinstance(deadline, bool) or not isinstance(deadline, int | float) or math.isnan(deadline):
        raise InputError(f"expected a perf_counter() time, got {deadline!r}", path="deadline")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"expected an integer, got {seed!r}", path="seed")
    if not completion_applies(problem):
        return None
    nodes = sorted(
        range(problem.n_nodes),
        key=lambda b: (problem.node_types[problem.type_of(b)].cost, b),
    )[:bins]
    if problem.n_items == 0:
        return {}
    if not nodes:
        return None
    capacity = next(t.free for t in problem.node_types if t.count)
    classes, zero_groups = _classes(problem)
    k = len(nodes)
    if k > MAX_SEARCH_DEPTH or len(classes.counts) > MAX_SEARCH_DEPTH:
        return None  # the search recurses once per node and once per class of a completion
    if any(
        limit is not None and count > k * limit
        for count, limit in zip(classes.counts, classes.limits, strict=True)
    ):
        return None
    for g in zero_groups:
        limit = problem.groups[g].max_per_node
        if limit is not None and problem.groups[g].count > k * limit:
            return None
    budget = [
        k * c - sum(w[d] * n for w, n in zip(classes.demands, classes.counts, strict=True))
        for d, c in enumerate(capacity)
    ]
    if any(b < 0 for b in budget):
        return None
    rng = random.Random(seed)  # noqa: S311 - a seeded search order, not cryptography
    search = _BinCompletion(
        classes, capacity=capacity, bins=k, budget=budget, deadline=deadline, rng=rng
    )
    contents = search.run()
    if contents is None:
        return None
    return _placement(problem, classes, zero_groups, contents, nodes)


def _classes(problem: PackingProblem) -> tuple[_Classes, list[int]]:
    """Merge groups into classes; return them with the groups whose pods demand nothing."""
    free = next(t.free for t in problem.node_types if t.count)
    keyed: dict[tuple[tuple[int, ...], int], int] = {}
    demands: list[tuple[int, ...]] = []
    counts: list[int] = []
    limits: list[int | None] = []
    members: list[list[int]] = []
    zero_groups: list[int] = []
    for g, grp in enumerate(problem.groups):
        if not grp.count:
            continue
        if not any(grp.demand):
            zero_groups.append(g)
            continue
        # A limit at least the group's size never binds: such groups merge like free ones.
        limit = grp.max_per_node if grp.max_per_node is not None else grp.count
        binding = limit < grp.count
        key = (grp.demand, g if binding else -1)
        if key not in keyed:
            keyed[key] = len(demands)
            demands.append(grp.demand)
            counts.append(0)
            limits.append(limit if binding else None)
            members.append([])
        c = keyed[key]
        counts[c] += grp.count
        members[c].append(g)

    def size(c: int) -> tuple[float, tuple[int, ...], int]:
        share = sum(w / f for w, f in zip(demands[c], free, strict=True) if f)
        return (-share, tuple(-w for w in demands[c]), c)

    order = sorted(range(len(demands)), key=size)
    return (
        _Classes(
            demands=[demands[c] for c in order],
            counts=[counts[c] for c in order],
            limits=[limits[c] for c in order],
            members=[members[c] for c in order],
        ),
        zero_groups,
    )


def _placement(
    problem: PackingProblem,
    classes: _Classes,
    zero_groups: list[int],
    contents: list[dict[int, int]],
    nodes: list[int],
) -> dict[int, int]:
    """Turn per-bin class counts into item -> node, items of a class taken in group order."""
    next_item: list[list[tuple[int, int]]] = [
        [(problem.first_item(g), problem.groups[g].count) for g in members]
        for members in classes.members
    ]
    placement: dict[int, int] = {}
    for b, content in enumerate(contents):
        for c, n in content.items():
            for _ in range(n):
                first, left = next_item[c][0]
                placement[first] = nodes[b]
                if left == 1:
                    next_item[c].pop(0)
                else:
                    next_item[c][0] = (first + 1, left - 1)
    # Pods that demand nothing fit anywhere; spread them when anti-affinity asks for it.
    for g in zero_groups:
        first = problem.first_item(g)
        spread = problem.groups[g].max_per_node is not None
        for j in range(problem.groups[g].count):
            placement[first + j] = nodes[j % len(nodes) if spread else 0]
    return placement


class _BinCompletion:
    """One bin-completion search over the classes; :meth:`run` returns the bins' contents."""

    def __init__(
        self,
        classes: _Classes,
        *,
        capacity: tuple[int, ...],
        bins: int,
        budget: list[int],
        deadline: float,
        rng: random.Random,
    ) -> None:
        self.demands = classes.demands
        self.counts = list(classes.counts)
        self.limits = classes.limits
        self.capacity = capacity
        self.bins = bins
        self.budget = budget
        self.deadline = deadline
        self.rng = rng
        self.dims = len(capacity)
        self.left = sum(self.counts)
        # Swapping pods between nodes may break a per-node limit: dominance only without limits.
        self.dominance = all(limit is None for limit in classes.limits)
        # Weigh each dimension's slack by the budget it may draw on: a unit of slack in a
        # dimension with little budget costs more of the future than one in a roomy dimension.
        self.slack_weight = [1.0 / (b + 1) for b in budget]
        self.failed: dict[tuple[int, ...], int] = {}
        self.contents: list[dict[int, int]] = []
        self.ticks = 0
        self.nodes = 0
        self.node_limit = _FIRST_LIMIT
        self.perturb = False
        self.restarts = 0
        self.bins_left = bins
        self.enumerate: Callable[[int, list[int], list[int]], list[_Completion]] = (
            self._completions_1d if self.dims == 1 else self._completions_nd
        )

    # ------------------------------------------------------------------ driver
    def run(self) -> list[dict[int, int]] | None:
        """Restart with growing node limits until a packing, a full refutation or the deadline."""
        while True:
            self.nodes = 0
            self.contents = []
            try:
                found = self._search(0)
            except _NodeLimitError:
                self._undo_all()
                self.node_limit = int(self.node_limit * _GROWTH)
                self.restarts += 1
                self.perturb = self.restarts >= _EXACT_RUNS
                continue
            except _DeadlineReachedError:
                return None
            return list(self.contents) if found else None

    def _undo_all(self) -> None:
        """Put back every pod the aborted run had placed (bins and the anchor it held)."""
        self.counts = [
            self.counts[c] + sum(content.get(c, 0) for content in self.contents)
            for c in range(len(self.counts))
        ]
        self.left = sum(self.counts)
        self.budget = self._initial_budget()

    def _initial_budget(self) -> list[int]:
        return [
            self.bins * cap - sum(w[d] * n for w, n in zip(self.demands, self.counts, strict=True))
            for d, cap in enumerate(self.capacity)
        ]

    def _tick(self) -> None:
        self.ticks += 1
        if self.ticks % _TICKS_PER_CLOCK == 0 and time.perf_counter() >= self.deadline:
            raise _DeadlineReachedError

    # ------------------------------------------------------------------ search
    def _search(self, depth: int) -> bool:
        """Fill bin ``depth`` and the ones after it; True when every pod is placed."""
        if self.left == 0:
            return True
        if self.bins - depth >= self.left:
            self._one_per_bin()
            return True
        self.nodes += 1
        if self.nodes > self.node_limit:
            raise _NodeLimitError
        self._tick()
        key = tuple(self.counts)
        if self.failed.get(key, self.bins + 1) <= depth:
            return False
        if self.dims == 1:
            anchor = self._anchor_1d()
            if anchor is None:
                self.failed[key] = min(depth, self.failed.get(key, depth))
                return False
        else:
            anchor = next(c for c, n in enumerate(self.counts) if n)
        self.bins_left = self.bins - depth
        self.counts[anchor] -= 1
        self.left -= 1
        room = [c - w for c, w in zip(self.capacity, self.demands[anchor], strict=True)]
        completions = self.enumerate(anchor, room, self.budget)
        if self.perturb and len(completions) > 1:
            completions = self._perturbed(completions)
        for slack, picks in completions:
            content = {anchor: 1}
            for c, n in picks:
                self.counts[c] -= n
                self.left -= n
                content[c] = content.get(c, 0) + n
            for d in range(self.dims):
                self.budget[d] -= slack[d]
            self.contents.append(content)
            if self._search(depth + 1):
                return True
            self.contents.pop()
            for d in range(self.dims):
                self.budget[d] += slack[d]
            for c, n in picks:
                self.counts[c] += n
                self.left += n
        self.counts[anchor] += 1
        self.left += 1
        self.failed[key] = min(depth, self.failed.get(key, depth))
        return False

    def _one_per_bin(self) -> None:
        """As many bins left as pods: each pod on a node of its own (any pod fits an empty one)."""
        for c, n in enumerate(self.counts):
            self.contents.extend({c: 1} for _ in range(n))
            self.counts[c] = 0
        self.left = 0

    def _perturbed(self, completions: list[_Completion]) -> list[_Completion]:
        """The order with each completion moved by a few positions at random (seeded)."""
        rng = self.rng
        keyed = sorted((i + rng.random() * _PERTURBATION, i) for i in range(len(completions)))
        return [completions[i] for _, i in keyed]

    # ------------------------------------------------------------------ one dimension
    def _takeable(self, avail: list[int], anchor: int) -> list[int]:
        """Pods of each available class a completion may take (the anchor's bin holds one)."""
        out = []
        for c in avail:
            n = self.counts[c]
            limit = self.limits[c]
            if limit is not None:
                n = min(n, limit - (c == anchor))
            out.append(max(n, 0))
        return out

    def _completions_1d(
        self, anchor: int, room0: list[int], budget0: list[int]
    ) -> list[_Completion]:
        """Undominated completions of the anchor's bin within the budget, fullest first.

        ``reach[i]`` is the set of sums the pods of classes ``i..`` can make (a subset-sum
        bitset, bit ``s`` set when ``s`` is reachable, capped at the anchor's room): a partial
        completion is extended only when some sum of the classes after it closes the room to
        within the slack still allowed.

        Classes are visited in decreasing weight. ``skipped`` is the smallest weight left out
        so far (a class passed over, or taken only in part); a pod of weight ``x`` taken after
        it could be swapped for it when ``skipped - x`` is at most the final slack, so the
        final slack must stay below every such gap (``gap``) and below ``skipped`` itself (else
        the skipped pod could be added).
        """
        counts = self.counts
        avail = [c for c, n in enumerate(counts) if n]
        weights = [self.demands[c][0] for c in avail]
        room = room0[0]
        budget = budget0[0]
        m = len(avail)
        cap_counts = self._takeable(avail, anchor)
        suffix = [0] * (m + 1)
        for i in range(m - 1, -1, -1):
            suffix[i] = suffix[i + 1] + weights[i] * cap_counts[i]
        room_mask = (1 << (room + 1)) - 1
        reach = [0] * (m + 1)
        reach[m] = 1
        for i in range(m - 1, -1, -1):
            bits = reach[i + 1]
            w = weights[i]
            n = cap_counts[i]
            part = 1
            while n > 0:  # binary split of the count: parts 1, 2, 4, ... and the rest
                take = min(part, n)
                bits |= (bits << (w * take)) & room_mask
                n -= take
                part *= 2
            reach[i] = bits
        dominance = self.dominance
        smallest = weights[-1] if m else room + 1
        unbounded = room + 1  # larger than any slack: "no constraint"
        # window[s]: the bits of s + 1 consecutive sums, for "some sum in [left - s, left]".
        window = [(1 << (s + 1)) - 1 for s in range(min(budget, room) + 1)]
        negated = [-w for w in weights]
        out: list[_Completion] = []
        picks: list[tuple[int, int]] = []
        tick = self._tick

        def closable(bits: int, left: int, slack: int) -> bool:
            """Some reachable sum lies in ``[left - slack, left]``."""
            low = left - slack
            return low <= 0 or bool((bits >> low) & window[slack])

        def extend(i: int, left: int, skipped: int, gap: int, limit: int) -> None:
            # Called only when some completion of this partial one is allowed (``limit``).
            tick()
            if left <= limit and (not dominance or i >= m or left < smallest):
                out.append(((left,), tuple(picks)))
            first = bisect.bisect_left(negated, -left, i)  # the first class that fits
            skip = skipped if first == i else weights[first - 1]
            for a in range(first, m):
                if a > first:
                    skip = weights[a - 1]
                if left - suffix[a] > budget or not closable(reach[a], left, budget):
                    break  # classes from ``a`` on cannot close the room: later ones neither
                w = weights[a]
                n = cap_counts[a]
                if not n:
                    continue
                new_gap = min(gap, skip - w) if dominance and skip != unbounded else gap
                taken_all = counts[avail[a]]
                after = reach[a + 1]
                for t in range(min(n, left // w), 0, -1):
                    rest = left - t * w
                    new_skip = skip if t == taken_all else w
                    allowed = min(budget, new_gap - 1, new_skip - 1) if dominance else budget
                    if allowed >= 0 and closable(after, rest, allowed):
                        picks.append((avail[a], t))
                        extend(a + 1, rest, new_skip, new_gap, allowed)
                        picks.pop()

        if closable(reach[0], room, budget):
            extend(0, room, unbounded, unbounded, budget)
        # Any slack up to an even share of the budget left is as good as none. Runs alternate
        # between two orders: (slack share, fewest pods) and (fewest pods, slack). Fewer pods
        # per bin means larger ones, and keeps the small pods that close the last bins.
        share = max(1, budget // max(1, self.bins_left))
        if self.restarts % 2 == 0:
            out.sort(key=lambda comp: (comp[0][0] // share, sum(n for _, n in comp[1])))
        else:
            out.sort(key=lambda comp: (sum(n for _, n in comp[1]), comp[0][0]))
        return out

    def _anchor_1d(self) -> int | None:
        """The class whose pod anchors the next bin, or ``None`` when the pods left fail.

        With ``reach`` the subset-sum bitset of every pod left, a pod of weight ``w`` lies in a
        bin that wastes at least ``c - w - best(c - w)``, ``best(r)`` being the largest
        reachable sum up to ``r``; pods larger than half the capacity lie in different bins, so
        their wastes add up, and no pod's may exceed the budget. The anchor is the pod with the
        fewest reachable fills within the budget (fail first), the larger on ties.
        """
        counts = self.counts
        capacity = self.capacity[0]
        budget = self.budget[0]
        full = (1 << (capacity + 1)) - 1
        reach = 1
        avail = [c for c, n in enumerate(counts) if n]
        for c in avail:
            w = self.demands[c][0]
            n = counts[c]
            part = 1
            while n > 0:
                take = min(part, n)
                reach |= (reach << (w * take)) & full
                n -= take
                part *= 2
        total = 0
        best_anchor = None
        best_fills = 0
        for c in avail:
            w = self.demands[c][0]
            residual = capacity - w
            below = reach & ((1 << (residual + 1)) - 1)
            waste = residual - (below.bit_length() - 1)
            if waste > budget:
                return None
            if 2 * w > capacity:
                total += waste * counts[c]
            fills = (below >> max(0, residual - budget)).bit_count()
            if best_anchor is None or fills < best_fills:
                best_anchor, best_fills = c, fills
        if total > budget:
            return None
        return best_anchor

    # ------------------------------------------------------------------ several dimensions
    def _completions_nd(
        self, anchor: int, room0: list[int], budget: list[int]
    ) -> list[_Completion]:
        """Completions of the anchor's bin within the budget in every dimension, fullest first.

        Fullest means the least slack weighted by the budget of each dimension. Dominated
        completions (a pod can be added, or swapped for a larger one that fits) are dropped.
        """
        counts = self.counts
        dims = self.dims
        avail = [c for c, n in enumerate(counts) if n]
        demands = [self.demands[c] for c in avail]
        m = len(avail)
        cap_counts = self._takeable(avail, anchor)
        suffix = [[0] * dims for _ in range(m + 1)]
        for i in range(m - 1, -1, -1):
            suffix[i] = [suffix[i + 1][d] + demands[i][d] * cap_counts[i] for d in range(dims)]
        out: list[_Completion] = []
        taken = [0] * m
        picks: list[tuple[int, int]] = []
        tick = self._tick
        dim_range = range(dims)

        def dominated(left: list[int]) -> bool:
            for a in range(m):
                if taken[a] >= counts[avail[a]]:
                    continue
                y = demands[a]
                if all(y[d] <= left[d] for d in dim_range):
                    return True  # the pod can be added
                for b in range(m):
                    if not taken[b] or b == a:
                        continue
                    x = demands[b]
                    if all(x[d] <= y[d] <= x[d] + left[d] for d in dim_range):
                        return True  # x can be swapped for the larger y
            return False

        def extend(i: int, left: list[int]) -> None:
            tick()
            s = suffix[i]
            if any(left[d] - s[d] > budget[d] for d in dim_range):
                return
            if all(left[d] <= budget[d] for d in dim_range) and not (
                self.dominance and dominated(left)
            ):
                out.append((tuple(left), tuple(picks)))
            for a in range(i, m):
                s = suffix[a]
                if any(left[d] - s[d] > budget[d] for d in dim_range):
                    break
                w = demands[a]
                most = cap_counts[a]
                for d in dim_range:
                    if w[d]:
                        most = min(most, left[d] // w[d])
                for t in range(most, 0, -1):
                    picks.append((avail[a], t))
                    taken[a] = t
                    extend(a + 1, [left[d] - t * w[d] for d in dim_range])
                    taken[a] = 0
                    picks.pop()

        extend(0, room0)
        weight = self.slack_weight
        out.sort(key=lambda comp: sum(s * q for s, q in zip(comp[0], weight, strict=True)))
        return out


class BackgroundCompletion:
    """Bin completion at ``bins`` nodes in a child process, until the solve's time is up.

    Args:
        problem: the problem (identical nodes, NODES: see :func:`completion_applies`).
        bins: the number of nodes to search a packing on.
        clock: the solve's clock; the search stops a little before its limit
            (:attr:`~kmodel.placement.engine.schedule.TimeSchedule.background_margin`).
        seed: the search's seed.
    """

    def __init__(self, problem: PackingProblem, bins: int, *, clock: Clock, seed: int) -> None:
        self.problem, self.clock = problem, clock
        self.bins = bins
        self.call = self._start(bins, seed)

    def _start(self, bins: int, seed: int) -> BackgroundCall[dict[int, int]]:
        # It stops a little before the limit, so that its answer is in before the solve ends.
        deadline = self.clock.end - SCHEDULE.background_margin
        return BackgroundCall(complete_bins, self.problem, bins, deadline=deadline, seed=seed)

    def restart(self, bins: int, *, seed: int) -> None:
        """Search at ``bins`` nodes instead (the bound rose: none exists at the old count)."""
        self.call.stop()
        self.bins = bins
        self.call = self._start(bins, seed)

    def answer(self, *, timeout: float = 0.0) -> dict[int, int] | None:
        """The packing found, if one is in within ``timeout`` seconds (checked)."""
        _, packed = self.call.poll(timeout=timeout)
        if packed is None or check_placement(self.problem, packed):
            return None
        return packed

    def stop(self) -> None:
        """End the search (its child process)."""
        self.call.stop()
