"""What the ledger and the observation read from the simulator, as a structural type.

:class:`~hybridinv.sim.ledger.Ledger` and :class:`~hybridinv.sim.observation.Observation`
are given the running :class:`~hybridinv.sim.simulator.Simulator`, which imports both of
them. Annotating with :class:`SimulatorView` instead of ``Simulator`` keeps the import
graph of ``sim/`` one-way (simulator -> ledger, observation -> view), even counting the
imports that only type checkers follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hybridinv.sim.scenario import Scenario, ScenarioPath

__all__ = ["SimulatorView"]


class SimulatorView(Protocol):
    """The simulator's state at the current period ``t`` (read-only use)."""

    @property
    def t(self) -> int: ...

    @property
    def scenario(self) -> Scenario: ...

    @property
    def path(self) -> ScenarioPath | None: ...

    @property
    def _stock(self) -> NDArray[np.float64]:
        """Stock by age bucket, shape (buckets, n) (perishables)."""
        ...

    @property
    def _on_hand(self) -> NDArray[np.float64]:
        """Usable stock per SKU (the non-perishable path)."""
        ...

    @property
    def _backorders(self) -> NDArray[np.float64]: ...

    def on_hand(self) -> NDArray[np.float64]: ...

    def backorders(self) -> NDArray[np.float64]: ...

    def pipeline(self) -> NDArray[np.float64]: ...
