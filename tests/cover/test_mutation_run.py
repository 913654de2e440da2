"""``make mutation``'s driver: its sample is deterministic and its report counts what mutmut saw."""

from __future__ import annotations

from collections import Counter

from properties import mutation_run


def test_the_sample_is_stable_when_other_mutants_come_and_go():
    names = [f"kmodel.cluster.components.kubelet.x_f__mutmut_{i}" for i in range(1, 200)]
    chosen = mutation_run.sample(names, 3)
    assert len(chosen) == 3
    assert mutation_run.sample(list(reversed(names)), 3) == chosen
    others = [n for n in names if n not in chosen]
    # Dropping mutants that were not chosen leaves the sample as it was.
    assert mutation_run.sample([*chosen, *others[::2]], 3) == chosen


def test_the_score_counts_timeouts_as_kills_and_leaves_equivalent_mutants_out():
    counts = Counter({"sampled": 5, "killed": 2, "timeout": 1, "survived": 1, "equivalent": 1})
    row = mutation_run._row("kubelet", counts)
    assert row == "| kubelet | 5 | 2 | 1 | 1 | 1 | 0 | 75 % |"


def test_mutmut_exit_codes_in_words():
    assert [mutation_run.outcome(c) for c in (1, 0, 33, 36, None, 7)] == [
        "killed",
        "survived",
        "no tests",
        "timeout",
        "not checked",
        "suspicious",
    ]


def test_every_listed_equivalent_mutant_says_why():
    equivalents = mutation_run.equivalent()
    assert all("__mutmut_" in name and why for name, why in equivalents.items())
