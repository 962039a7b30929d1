"""Tests for hybridinv.demand.leadtime: stochastic lead times and supplier disruptions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hybridinv import PlanningError
from hybridinv.demand import Disruptions, LeadTimeProcess


def test_deterministic_lead_times() -> None:
    process = LeadTimeProcess(np.array([0, 2, 5]))
    path = process.sample(np.random.default_rng(0), 10)
    assert process.deterministic
    np.testing.assert_array_equal(path.lead_time, np.tile([0, 2, 5], (10, 1)))
    assert path.delivered_fraction is None and path.disrupted is None


def test_stochastic_lead_times_within_bounds_with_the_planned_mean() -> None:
    lead, std = np.array([5, 8, 1]), np.array([1.0, 0.4, 0.5])
    process = LeadTimeProcess(lead, std)
    path = process.sample(np.random.default_rng(1), 40_000)
    upper = lead + np.ceil(3 * std)
    assert (path.lead_time >= 0).all() and (path.lead_time <= upper).all()
    np.testing.assert_array_equal(process.max_lead_time, upper)
    # exact law of clip(rint(L + std z), 0, upper) from the normal cdf
    for i in range(3):
        k = np.arange(0, upper[i] + 1)
        cdf = stats.norm.cdf((k + 0.5 - lead[i]) / std[i])
        cdf[-1] = 1.0
        pmf = np.diff(np.concatenate([[0.0], cdf]))
        mean = pmf @ k
        sd = np.sqrt(pmf @ (k - mean) ** 2)
        assert path.lead_time[:, i].mean() == pytest.approx(mean, abs=4.5 * sd / 200)
        assert path.lead_time[:, i].std() == pytest.approx(sd, rel=0.03)
    np.testing.assert_allclose(path.lead_time.mean(axis=0)[:2], lead[:2], atol=0.02)
    assert path.lead_time[:, 2].min() == 0  # L = 1 is clipped at 0 from below


def test_disruptions_follow_the_markov_chain_and_delay_and_cut_orders() -> None:
    disruptions = Disruptions(probability=0.05, mean_duration=4.0, extra_delay=3, fill_fraction=(0.4, 0.9))
    process = LeadTimeProcess(np.array([2, 2, 3]), supplier=np.array([0, 1, 0]), disruptions=disruptions)
    path = process.sample(np.random.default_rng(2), 60_000)
    assert path.disrupted is not None and path.delivered_fraction is not None
    on = path.disrupted
    # stationary share p / (p + 1/d)
    assert on.mean() == pytest.approx(0.05 / (0.05 + 0.25), abs=0.015)
    # mean length of a disruption is the mean duration
    changes = np.diff(np.concatenate([[False], on[:, 0], [False]]).astype(int))
    lengths = np.flatnonzero(changes == -1) - np.flatnonzero(changes == 1)
    assert lengths.mean() == pytest.approx(4.0, rel=0.08)
    per_sku = on[:, [0, 1, 0]]
    delay = path.lead_time - np.array([2, 2, 3])
    assert (delay[~per_sku] == 0).all()
    assert set(np.unique(delay[per_sku])) == {1, 2, 3}
    fraction = path.delivered_fraction
    assert (fraction[~per_sku] == 1.0).all()
    assert fraction[per_sku].min() >= 0.4 and fraction[per_sku].max() <= 0.9
    assert fraction[per_sku].mean() == pytest.approx(0.65, abs=0.01)
    # SKUs of the same supplier are disrupted together
    np.testing.assert_array_equal(per_sku[:, 0], per_sku[:, 2])
    np.testing.assert_array_equal(process.max_lead_time, [5, 5, 6])


def test_same_seed_same_lead_times_and_disruptions_keep_the_noise() -> None:
    lead, std = np.array([4, 4]), np.array([1.0, 1.0])
    plain = LeadTimeProcess(lead, std)
    disrupted = LeadTimeProcess(lead, std, disruptions=Disruptions(0.1, 3.0, 2))
    a = plain.sample(np.random.default_rng(3), 500)
    b = plain.sample(np.random.default_rng(3), 500)
    c = disrupted.sample(np.random.default_rng(3), 500)
    d = plain.sample(np.random.default_rng(4), 500)
    np.testing.assert_array_equal(a.lead_time, b.lead_time)
    assert not np.array_equal(a.lead_time, d.lead_time)
    assert c.disrupted is not None
    calm = ~c.disrupted[:, [0, 0]]
    np.testing.assert_array_equal(c.lead_time[calm], a.lead_time[calm])


def test_supplier_indices_are_labels_of_who_shares_a_disruption() -> None:
    # the finding: one chain was drawn per index from 0 to the largest, so supplier 10**9 of a single SKU asked
    # for 37 GiB (MemoryError); a SKU's labels now name its group only: [7, 7, 3] draws as [1, 1, 0]
    disruptions = Disruptions(probability=0.3, mean_duration=3.0, extra_delay=2)
    lead = np.array([1, 1, 2])
    labelled = LeadTimeProcess(lead, supplier=np.array([7, 7, 3]), disruptions=disruptions)
    dense = LeadTimeProcess(lead, supplier=np.array([1, 1, 0]), disruptions=disruptions)
    a = labelled.sample(np.random.default_rng(4), 200)
    b = dense.sample(np.random.default_rng(4), 200)
    np.testing.assert_array_equal(a.lead_time, b.lead_time)
    np.testing.assert_array_equal(a.delivered_fraction, b.delivered_fraction)
    assert a.disrupted is not None and a.disrupted.shape == (200, 2)
    late = a.lead_time > lead  # SKUs 0 and 1 share supplier 7: late together, SKU 2 on its own
    np.testing.assert_array_equal(late[:, 0], late[:, 1])
    assert late[:, 0].any() and (late[:, 0] != late[:, 2]).any()
    huge = LeadTimeProcess(np.array([2]), supplier=np.array([10**9]), disruptions=disruptions)
    assert huge.sample(np.random.default_rng(0), 5).disrupted.shape == (5, 1)  # type: ignore[union-attr]


def test_from_catalog_maps_supplier_names() -> None:
    process = LeadTimeProcess.from_catalog([1, 2, 3], [0, 0, 0], ["b", "a", "b"])
    np.testing.assert_array_equal(process.supplier, [1, 0, 1])


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"probability": 1.5}, "disruptions.probability"),
        ({"mean_duration": 0.5}, "disruptions.mean_duration"),
        ({"fill_fraction": (0.9, 0.4)}, "disruptions.fill_fraction"),
        ({"extra_delay": 10**6}, "disruptions.extra_delay"),  # a ring of a million periods per SKU
        ({"extra_delay": 521}, "disruptions.extra_delay"),
        ({"fill_fraction": (0.1, 0.2, 0.3)}, "disruptions.fill_fraction"),  # was a ValueError from unpacking
        ({"fill_fraction": ("a", 0.5)}, "disruptions.fill_fraction"),  # was a TypeError comparing text
        ({"fill_fraction": 0.5}, "disruptions.fill_fraction"),
    ],
)
def test_invalid_disruptions(kwargs: dict[str, object], column: str) -> None:
    with pytest.raises(PlanningError) as info:
        Disruptions(**kwargs)  # type: ignore[arg-type]
    assert info.value.column == column


def test_the_longest_disruption_delay_is_accepted() -> None:
    process = LeadTimeProcess(np.array([2]), disruptions=Disruptions(probability=1.0, extra_delay=520))
    assert process.max_lead_time.tolist() == [522]


def test_invalid_lead_times() -> None:
    with pytest.raises(PlanningError, match="'lead_time'"):
        LeadTimeProcess(np.array([1, -1]))
    with pytest.raises(PlanningError, match="'lead_time_std'"):
        LeadTimeProcess(np.array([1, 1]), np.array([0.5, -0.5]))
    # absurd values allocated a ring of a million periods per SKU; -1 indexed the last supplier's disruptions
    for kwargs, column, value in (({"lead_time": np.array([1e6])}, "lead_time", 1e6),
                                  ({"lead_time": np.array([1]), "std": np.array([1e6])}, "lead_time_std", 1e6),
                                  ({"lead_time": np.array([1]), "std": np.array([np.nan])}, "lead_time_std", None),
                                  ({"lead_time": np.array([1, 2]), "supplier": np.array([0, -1])}, "supplier", -1),
                                  # numpy's broadcast error; 1.5 was truncated to supplier 1; a float a TypeError
                                  ({"lead_time": np.array([1, 2]), "std": np.array([0.1, 0.2, 0.3])},
                                   "lead_time_std", None),
                                  ({"lead_time": np.array([1, 2]), "supplier": np.array([0, 1.5])}, "supplier", 1.5),
                                  ({"lead_time": np.array([1, 2]), "supplier": np.array([0, 1, 2])}, "supplier", None),
                                  ({"lead_time": np.array([1]), "disruptions": 0.1}, "disruptions", 0.1)):
        with pytest.raises(PlanningError) as info:
            LeadTimeProcess(**kwargs)  # type: ignore[arg-type]
        assert info.value.column == column
        if value is not None:
            assert info.value.value == value
    with pytest.raises(PlanningError) as info:
        Disruptions(probability=0.1, fill_fraction=(float("nan"), 0.5))
    assert info.value.column == "disruptions.fill_fraction" and info.value.value is not None


def test_a_shelf_life_beyond_the_limit_is_refused_up_front() -> None:
    import pandas as pd

    from hybridinv import Catalog

    with pytest.raises(PlanningError, match="column 'shelf_life', sku 'A', value 1000000000.0: .* <= 1000"):
        Catalog.from_frame(pd.DataFrame({"sku": ["A"], "unit_cost": 1.0, "holding_cost": 0.1, "shortage_cost": 2.0,
                                         "lead_time": 1, "shelf_life": 1e9}))


@pytest.mark.parametrize(("kwargs", "column"), [
    ({"lead_time": [True]}, "lead_time"),
    ({"lead_time": ["3"]}, "lead_time"),
    ({"lead_time": [2], "std": ["1"]}, "lead_time_std"),
])
def test_lead_times_that_are_booleans_or_text_are_refused(kwargs: dict, column: str) -> None:
    """[True] was a lead time of 1 period, ["3"] of 3."""
    with pytest.raises(PlanningError, match="not booleans or text") as info:
        LeadTimeProcess(**kwargs)
    assert info.value.column == column


@pytest.mark.parametrize("variant", ["acme ", "Acme", " ACME"])
def test_supplier_names_that_differ_only_in_spaces_or_case_are_refused_with_disruptions(variant: str) -> None:
    """They were two suppliers with two disruption chains (SKUs of "ACME" and "acme " disagreed in 112 of 200
    periods on whether their supplier was down); a supplier capacity already refused them."""
    disruptions = Disruptions(probability=0.2, mean_duration=3.0, extra_delay=2)
    with pytest.raises(PlanningError, match="differs from it only in spaces or case") as info:
        LeadTimeProcess.from_catalog([1, 1], [0, 0], ["ACME", variant], disruptions)
    assert info.value.column == "supplier"
    LeadTimeProcess.from_catalog([1, 1], [0, 0], ["ACME", variant])  # without disruptions the names do not matter
    process = LeadTimeProcess.from_catalog([1, 1], [0, 0], ["ACME", "ACME"], disruptions)
    fraction = process.sample(np.random.default_rng(0), 200).delivered_fraction
    np.testing.assert_array_equal(fraction[:, 0] < 1, fraction[:, 1] < 1)  # one supplier, one chain


@pytest.mark.parametrize(("args", "column", "value"), [
    ((7, 5), "rng", "int"),  # AttributeError: 'int' object has no attribute 'spawn'
    ((None, 5), "rng", "NoneType"),
    ((np.random.RandomState(0), 5), "rng", "RandomState"),
    ((np.random.default_rng(0), -1), "periods", -1),  # numpy's "negative dimensions are not allowed"
    ((np.random.default_rng(0), 2.5), "periods", 2.5),
])
@pytest.mark.parametrize("std", [0.0, 0.5])
def test_sample_names_a_bad_rng_or_periods(args: tuple, column: str, value: object, std: float) -> None:
    """As DemandProcess.sample: a seed, None or a RandomState was an AttributeError deep inside (even for
    deterministic lead times, which draw nothing)."""
    process = LeadTimeProcess(np.array([2, 3]), std=np.array([std, std]),
                              disruptions=Disruptions(probability=0.5))
    with pytest.raises(PlanningError, match="default_rng" if column == "rng" else "whole number") as info:
        process.sample(*args)
    assert (info.value.column, info.value.value) == (column, value)
    assert process.sample(np.random.default_rng(0), np.int64(4)).lead_time.shape == (4, 2)


# ---------------------------------------------------------------- per-supplier disruptions


def _digest(path: object) -> str:
    import hashlib

    digest = hashlib.sha256()
    for array in (path.lead_time, path.delivered_fraction, path.disrupted):  # type: ignore[attr-defined]
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def test_one_disruptions_for_every_supplier_draws_the_paths_it_drew_before_per_supplier_models() -> None:
    # digests of the paths drawn by the code before per-supplier disruptions (commit d27d30b, computed there): the
    # registered `disrupted` scenario and a process with labelled suppliers give the same paths for the same seed
    from hybridinv import scenarios

    disrupted = scenarios.get("disrupted").lead_times
    assert disrupted is not None
    assert _digest(disrupted.sample(np.random.default_rng(7), 60)) == "48dd8b39af8eaa10"
    d = Disruptions(0.2, 3.0, 2, (0.3, 0.8))
    single = LeadTimeProcess(np.array([1, 2, 3, 2]), std=np.array([0.5, 0.0, 1.0, 0.3]),
                             supplier=np.array([4, 0, 4, 9]), disruptions=d)
    assert _digest(single.sample(np.random.default_rng(11), 40)) == "e2cd644ce77d0459"
    # invariant: naming every supplier with the same model is the single model, draw for draw
    every = LeadTimeProcess(single.lead_time, std=single.std, supplier=single.supplier,
                            disruptions={0: d, 4: d, 9: d})
    for seed in range(3):
        one, each = single.sample(np.random.default_rng(seed), 50), every.sample(np.random.default_rng(seed), 50)
        for name in ("lead_time", "delivered_fraction", "disrupted"):
            np.testing.assert_array_equal(getattr(one, name), getattr(each, name))


def test_per_supplier_disruptions_strike_only_the_suppliers_named_at_their_share() -> None:
    # mean_duration 1 / (1 - s) makes each period's state an independent Bernoulli(s): standard error sqrt(s(1-s)/T)
    share, periods = 0.3, 20_000
    unreliable = Disruptions(probability=share, mean_duration=1.0 / (1.0 - share), extra_delay=2,
                             fill_fraction=(0.5, 0.7))
    process = LeadTimeProcess.from_catalog([2, 2, 1, 3], [0.0] * 4, ["good", "bad", "good", "bad"],
                                           {"bad": unreliable})
    assert process.disruptions == {0: unreliable}  # names sorted: "bad" is supplier 0
    np.testing.assert_array_equal(process.max_lead_time, [2, 4, 1, 5])
    path = process.sample(np.random.default_rng(3), periods)
    assert path.delivered_fraction is not None and path.disrupted is not None
    short = path.delivered_fraction < 1.0
    assert not short[:, [0, 2]].any() and (path.lead_time[:, [0, 2]] == [2, 1]).all()  # "good": never short or late
    for sku in (1, 3):
        assert abs(short[:, sku].mean() - share) < 4 * np.sqrt(share * (1 - share) / periods)
        cut = path.delivered_fraction[short[:, sku], sku]
        assert cut.min() >= 0.5 and cut.max() <= 0.7
        assert set(np.unique(path.lead_time[short[:, sku], sku] - [2, 3][sku // 2])) == {1, 2}
    np.testing.assert_array_equal(short[:, 1], short[:, 3])  # one chain per supplier


def test_suppliers_get_their_own_parameters() -> None:
    often = Disruptions(probability=0.6, mean_duration=2.5, extra_delay=0, fill_fraction=(0.2, 0.2))
    rarely = Disruptions(probability=0.05, mean_duration=1.0 / 0.95, extra_delay=4, fill_fraction=(0.9, 0.9))
    process = LeadTimeProcess(np.array([1, 1]), supplier=np.array([5, 2]), disruptions={5: often, 2: rarely})
    path = process.sample(np.random.default_rng(4), 20_000)
    assert path.delivered_fraction is not None
    fractions = path.delivered_fraction
    assert set(np.unique(fractions[:, 0])) == {0.2, 1.0} and set(np.unique(fractions[:, 1])) == {0.9, 1.0}
    assert (path.lead_time[:, 0] == 1).all()  # extra_delay 0 for supplier 5
    # stationary shares p D / (1 + p D): 0.6 and 0.05
    assert (fractions[:, 0] < 1).mean() == pytest.approx(0.6, abs=0.03)
    assert (fractions[:, 1] < 1).mean() == pytest.approx(0.05, abs=4 * np.sqrt(0.05 * 0.95 / 20_000))
    models, member = process.disruptions_by_sku()
    assert models == [rarely, often, None] and member.tolist() == [1, 0]
    assert LeadTimeProcess(np.array([1]), disruptions={}).disruptions is None  # no supplier named: none


@pytest.mark.parametrize(("table", "value", "words"), [
    ({"ACME": Disruptions()}, "ACME", "no SKU of the catalog"),
    ({"acme ": Disruptions()}, "acme ", "differs from it only in spaces or case"),
    ({None: Disruptions()}, None, "named by text"),
    ({7: Disruptions(), "7": Disruptions()}, "7", "twice"),
])
def test_from_catalog_refuses_a_supplier_the_catalog_does_not_have(table: dict, value: object, words: str) -> None:
    with pytest.raises(PlanningError, match=words) as info:
        LeadTimeProcess.from_catalog([1, 1], [0.0, 0.0], ["acme", "7"], table)
    assert info.value.column == "disruptions" and info.value.value == value


@pytest.mark.parametrize(("table", "value"), [
    ({3: Disruptions()}, 3), ({-1: Disruptions()}, -1), ({True: Disruptions()}, True), ({0: 0.1}, 0.1),
])
def test_per_supplier_disruptions_by_index_are_checked(table: dict, value: object) -> None:
    with pytest.raises(PlanningError) as info:
        LeadTimeProcess(np.array([1, 1]), supplier=np.array([0, 1]), disruptions=table)
    assert info.value.column == "disruptions" and info.value.value == value
