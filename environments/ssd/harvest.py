"""Harvest: a common-pool resource gridworld where apples regrow near apples.

Rules on top of `engine.GridGame`: every apple cell (``A``) starts with an
apple. Each step, every apple cell without an apple and without an agent
regrows with a probability that depends on how many apples lie within its
neighbourhood (``dr^2 + dc^2 <= radius_squared``), capped at the last entry
of the probability table.

Two neighbourhoods, as the sources disagree (``neighbourhood``):

* ``"ssd"`` (default): the SSD code's test ``dr^2 + dc^2 <= 2`` (the 3 x 3
  block, although its constant is called radius 2) with probabilities
  [0, 0.005, 0.02, 0.05] for 0, 1, 2, 3+ apples;
* ``"meltingpot"``: Melting Pot's L2 radius 2 (13 cells) with
  [0, 0.0025, 0.005, 0.025].

The default setting is the original game: all eight actions (penalty beam
-1 to the firer, -50 to each agent hit), random spawn and orientation,
15 x 15 uint8 views, 1,000 steps ending as a truncation, random beam order.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from environments.ssd import engine
from environments.ssd import grid
from environments.ssd import maps

ALL_ACTIONS = tuple(range(8))
NEIGHBOURHOODS: Dict[str, Tuple[int, Tuple[float, ...]]] = {
    "ssd": (2, (0.0, 0.005, 0.02, 0.05)),
    "meltingpot": (4, (0.0, 0.0025, 0.005, 0.025)),
}


class Harvest(engine.GridGame):
  """Harvest on any map with apple cells (``A``)."""

  def __init__(self,
               map_name: str = "harvest",
               layout: Optional[Sequence[str]] = None,
               num_agents: int = 5,
               actions: Sequence[int] = ALL_ACTIONS,
               max_steps: int = 1000,
               view_radius: int = 7,
               neighbourhood: str = "ssd",
               shuffle_beams: bool = True,
               **game_kwargs):
    """Builds Harvest.

    Args:
      map_name: a map of `maps` with apple cells (or the name of `layout`).
      layout: a custom ASCII map (legend in `maps`) instead of `map_name`.
      num_agents: number of agents.
      actions: action ids of `grid` available to agents (no CLEAN).
      max_steps: episode length.
      view_radius: cells seen on each side.
      neighbourhood: ``"ssd"`` or ``"meltingpot"`` (module docstring).
      shuffle_beams: random beam order each step.
      **game_kwargs: further `engine.GridGame` arguments.
    """
    if neighbourhood not in NEIGHBOURHOODS:
      raise ValueError(f"unknown neighbourhood {neighbourhood!r}; known: "
                       f"{', '.join(sorted(NEIGHBOURHOODS))}")
    if grid.CLEAN in actions:
      raise ValueError("Harvest has no cleaning beam (action 8)")
    layout = maps.get(map_name) if layout is None else tuple(layout)
    super().__init__(layout, num_agents, actions, max_steps, view_radius,
                     shuffle_beams=shuffle_beams, **game_kwargs)
    self.apple_cells = grid.parse(layout)["A"]
    if not self.apple_cells.any():
      raise ValueError(f"map {map_name!r} has no apple cells")
    self.map_name = map_name
    self.neighbourhood = neighbourhood
    radius_squared, probs = NEIGHBOURHOODS[neighbourhood]
    self._count_neighbours = grid.NeighbourCounter(self.walls.shape,
                                                   radius_squared)
    self._regrowth = np.array(probs)

  def regrowth_probabilities(self) -> np.ndarray:
    """Per cell, the probability that an apple regrows there this step."""
    counts = self._count_neighbours(self.apples)
    probs = self._regrowth[np.minimum(counts, len(self._regrowth) - 1)]
    free = self.apple_cells & ~self.apples
    free[self.positions[:, 0], self.positions[:, 1]] = False
    return np.where(free, probs, 0.0)

  def _reset_layers(self) -> None:
    self.apples = self.apple_cells.copy()

  def _spawn(self) -> None:
    probs = self.regrowth_probabilities()
    self.apples |= self._rng.random(self.walls.shape) < probs
