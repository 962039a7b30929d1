"""Small network planning inputs shared by the plan_network tests (frames, as a planner writes them)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def small_frames() -> dict[str, pd.DataFrame]:
    """A warehouse ``wh`` (lead time 2) feeding stores ``s1`` and ``s2`` (lead time 1), SKUs A and B."""
    return {
        "locations": pd.DataFrame({"location": ["wh", "s1", "s2"], "parent": [None, "wh", "wh"],
                                   "lead_time": [2, 1, 1], "capacity": [500.0, None, 60.0]}),
        "catalog": pd.DataFrame({"sku": ["A", "B"], "unit_cost": [2.0, 5.0], "holding_cost": [0.2, 0.5],
                                 "shortage_cost": [4.0, 9.0], "volume": [1.0, 2.0], "moq": [10, 0],
                                 "lot_size": [5, 1]}),
        "state": pd.DataFrame({"location": ["wh", "wh", "s1", "s1", "s2", "s2"], "sku": ["A", "B"] * 3,
                               "on_hand": [20, 3, 2, 0, 5, 1], "backorders": [0, 0, 1, 0, 0, 0],
                               "pipeline_1": [10, 0, 0, 2, 0, 0]}),
        "forecast": pd.DataFrame({"location": ["s1", "s1", "s2", "s2"], "sku": ["A", "B"] * 2,
                                  "mean": [4.0, 2.0, 3.0, 1.5], "std": [2.0, 1.0, 1.5, 1.0]}),
    }


def random_frames(seed: int, n_stores: int = 4, n_skus: int = 12) -> dict[str, object]:
    """A random one-warehouse network with binding parent stock, capacities, budget, MOQs and lots.

    Stores have lead time 0 (their projected stock is on-hand + ``pipeline_0``, which the
    independent checker recomputes); the warehouse has lead time 1.
    """
    rng = np.random.default_rng(seed)
    stores = [f"st{i}" for i in range(n_stores)]
    names = ["dc", *stores]
    skus = [f"P{j:03d}" for j in range(n_skus)]
    lot = rng.integers(1, 5, n_skus)
    moq = lot * rng.integers(0, 4, n_skus)
    volume = rng.uniform(0.5, 2.0, n_skus).round(2)
    catalog = pd.DataFrame({"sku": skus, "unit_cost": rng.uniform(1, 10, n_skus).round(2),
                            "holding_cost": rng.uniform(0.1, 1.0, n_skus).round(2),
                            "shortage_cost": rng.uniform(2, 20, n_skus).round(2), "volume": volume,
                            "moq": moq, "lot_size": lot})
    mean = rng.uniform(1, 8, (n_stores, n_skus)).round(1)
    on_hand = rng.integers(0, 6, (n_stores + 1, n_skus))
    on_hand[0] = rng.integers(0, 30, n_skus)
    pipe0 = rng.integers(0, 3, (n_stores + 1, n_skus))
    pipe1 = rng.integers(0, 10, (n_stores + 1, n_skus))
    pipe1[1:] = 0  # stores have lead time 0: nothing further out
    used = (on_hand + pipe0) @ volume
    capacity = np.ceil(used + rng.uniform(5, 40, n_stores + 1))
    capacity[0] = np.ceil(used[0] + pipe1[0] @ volume + 60)
    state = pd.DataFrame({
        "location": np.repeat(names, n_skus), "sku": np.tile(skus, n_stores + 1),
        "on_hand": on_hand.reshape(-1), "pipeline_0": pipe0.reshape(-1), "pipeline_1": pipe1.reshape(-1),
    })
    return {
        "locations": pd.DataFrame({"location": names, "parent": [None, *["dc"] * n_stores],
                                   "lead_time": [1, *[0] * n_stores], "capacity": capacity}),
        "catalog": catalog,
        "state": state.sample(frac=1.0, random_state=seed).reset_index(drop=True),
        "forecast": pd.DataFrame({"location": np.repeat(stores, n_skus), "sku": np.tile(skus, n_stores),
                                  "mean": mean.reshape(-1), "std": (np.sqrt(mean) * 1.5).reshape(-1)}),
        "budget": float(rng.uniform(50, 300)),
    }


def independent_check(frames: dict[str, object], plan: pd.DataFrame) -> list[str]:
    """Every rule the plan must meet, recomputed from the input frames alone; the problems found."""
    locations = frames["locations"]
    catalog = frames["catalog"].set_index("sku")
    state = frames["state"].set_index(["location", "sku"])
    assert isinstance(locations, pd.DataFrame)
    problems: list[str] = []
    qty = plan.set_index(["location", "sku"])["quantity"]
    if not ((qty >= 0) & (qty == qty.round())).all():
        problems.append("quantities not whole and >= 0")
    parent = dict(zip(locations["location"], locations["parent"], strict=True))
    lead = dict(zip(locations["location"], locations["lead_time"], strict=True))
    capacity = dict(zip(locations["location"], locations["capacity"], strict=True))
    children = {name: [c for c, p in parent.items() if p == name] for name in parent}
    spend = 0.0
    for name in parent:
        for sku in catalog.index:
            q = float(qty[(name, sku)])
            if parent[name] is None:
                lot, moq = catalog.at[sku, "lot_size"], catalog.at[sku, "moq"]
                if q % lot or (0 < q < moq):
                    problems.append(f"{name}/{sku}: order {q} breaks lot {lot} / moq {moq}")
                spend += q * catalog.at[sku, "unit_cost"]
            shipped = sum(float(qty[(c, sku)]) for c in children[name])
            if shipped > state.at[(name, sku), "on_hand"]:
                problems.append(f"{name}/{sku}: ships {shipped} > on hand")
        volume = 0.0
        for sku in catalog.index:
            slots = [f"pipeline_{k}" for k in range(int(lead[name]) + 1)]
            stock = state.at[(name, sku), "on_hand"] + sum(state.at[(name, sku), s] for s in slots)
            out = sum(float(qty[(c, sku)]) for c in children[name])
            volume += catalog.at[sku, "volume"] * (stock + float(qty[(name, sku)]) - out)
        if volume > capacity[name] + 1e-6:
            problems.append(f"{name}: volume {volume} > capacity {capacity[name]}")
    if spend > float(frames["budget"]) + 1e-6:  # type: ignore[arg-type]
        problems.append(f"spend {spend} > budget")
    return problems
