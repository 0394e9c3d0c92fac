"""Cleanup: a public-goods gridworld where apples grow only if the river is clean.

Rules on top of `engine.GridGame`: river cells (``H`` dirty, ``R`` clean)
form the waste area. With waste density d = (#dirty) / (#river cells):

* d >= depletion threshold: no apples and no new waste spawn;
* otherwise each apple-spawn cell (``B``) without an apple or an agent
  spawns an apple with probability ``apple_respawn_prob`` when d <= the
  restoration threshold, else ``(1 - (d - restoration) / (depletion -
  restoration)) * apple_respawn_prob``; and at most one clean river cell
  turns dirty, with probability ``1 - (1 - p)^k`` for the k clean cells and
  ``p = waste_spawn_prob``, at a uniformly random one of them. The original
  code walks the shuffled cells and stops at the first draw below p; the
  distribution is the same.

The cleaning beam (CLEAN) turns the first dirty cell of each ray clean and
stops there; agents absorb it. Events count cleaned cells and beams fired.

Settings (`make`): ``"lio"`` is the thesis' setting (App. B.4.1, Table B.2):
two agents facing up, no rotation and no penalty beam (actions left, right,
up, down, stay, clean), fixed spawn points, normalized views that cover the
map, 50 steps ending as a termination, map-specific parameters. ``"ssd"`` is
the original game: 5 agents on the 25 x 18 map, all nine actions (penalty
beam -1 / -50), random spawn and orientation, uint8 15 x 15 views, 1,000
steps ending as a truncation, random beam order.

Colours: dirty river brown, clean river and stream blue, as the LIO fork
fixed them (``original_colors=True`` swaps them as in the SSD code).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

from environments import base
from environments.ssd import engine
from environments.ssd import grid
from environments.ssd import maps

LIO_ACTIONS = (grid.MOVE_LEFT, grid.MOVE_RIGHT, grid.MOVE_UP, grid.MOVE_DOWN,
               grid.STAY, grid.CLEAN)
ALL_ACTIONS = tuple(range(9))
# Table B.2 per LIO map; any other map uses the original constants.
_LIO_MAP_PARAMS = {
    "cleanup_small_sym": dict(apple_respawn_prob=0.5, depletion_threshold=0.6,
                              view_radius=4),
    "cleanup_10x10_sym": dict(apple_respawn_prob=0.3, depletion_threshold=0.4,
                              view_radius=7),
}
SETTINGS: Dict[str, Dict[str, Any]] = {
    "lio": dict(map_name="cleanup_small_sym", num_agents=2,
                actions=LIO_ACTIONS, max_steps=50, random_orientation=False,
                random_spawn=False, normalize_observation=True,
                terminal_time_limit=True),
    "ssd": dict(map_name="cleanup", num_agents=5, actions=ALL_ACTIONS,
                max_steps=1000, view_radius=7, shuffle_beams=True),
}


class Cleanup(engine.GridGame):
  """Cleanup on any map with river (``H``/``R``) and apple (``B``) cells."""

  def __init__(self,
               map_name: str = "cleanup",
               layout: Optional[Sequence[str]] = None,
               num_agents: int = 5,
               actions: Sequence[int] = ALL_ACTIONS,
               max_steps: int = 1000,
               view_radius: int = 7,
               apple_respawn_prob: float = 0.05,
               waste_spawn_prob: float = 0.5,
               depletion_threshold: float = 0.4,
               restoration_threshold: float = 0.0,
               original_colors: bool = False,
               **game_kwargs):
    """Builds Cleanup (defaults: the original constants).

    Args:
      map_name: a map of `maps` with river and apple cells (or the name
        of `layout`).
      layout: a custom ASCII map (legend in `maps`) instead of `map_name`.
      num_agents: number of agents.
      actions: action ids of `grid` available to agents, in index order.
      max_steps: episode length.
      view_radius: cells seen on each side.
      apple_respawn_prob: apple spawn probability on a clean river.
      waste_spawn_prob: probability p of the waste spawn rule.
      depletion_threshold: density at and above which nothing spawns.
      restoration_threshold: density at and below which apples spawn at the
        full rate.
      original_colors: the SSD code's swapped river colours.
      **game_kwargs: further `engine.GridGame` arguments.
    """
    if not 0.0 <= restoration_threshold < depletion_threshold:
      raise ValueError("need 0 <= restoration_threshold < "
                       f"depletion_threshold, got {restoration_threshold} "
                       f"and {depletion_threshold}")
    for name, p in (("apple_respawn_prob", apple_respawn_prob),
                    ("waste_spawn_prob", waste_spawn_prob)):
      if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {p}")
    layout = maps.get(map_name) if layout is None else tuple(layout)
    super().__init__(layout, num_agents, actions, max_steps, view_radius,
                     **game_kwargs)
    layers = grid.parse(layout)
    if not (layers["H"] | layers["R"]).any() or not layers["B"].any():
      raise ValueError(f"map {map_name!r} has no river or no apple cells")
    self.map_name = map_name
    self.river = layers["H"] | layers["R"]
    self.stream = layers["S"]
    self.apple_cells = layers["B"]
    self._initial_waste = layers["H"]
    self.waste = self._initial_waste.copy()
    self.apple_respawn_prob = float(apple_respawn_prob)
    self.waste_spawn_prob = float(waste_spawn_prob)
    self.depletion_threshold = float(depletion_threshold)
    self.restoration_threshold = float(restoration_threshold)
    self._original_colors = original_colors

  def waste_density(self) -> float:
    return float(self.waste.sum()) / float(self.river.sum())

  def spawn_probabilities(self) -> tuple:
    """``(apple, waste)`` spawn probabilities at the current density."""
    density = self.waste_density()
    if density >= self.depletion_threshold:
      return 0.0, 0.0
    if density <= self.restoration_threshold:
      apple = self.apple_respawn_prob
    else:
      span = self.depletion_threshold - self.restoration_threshold
      apple = (1.0 - (density - self.restoration_threshold) / span
               ) * self.apple_respawn_prob
    return apple, self.waste_spawn_prob

  def _reset_layers(self) -> None:
    self.waste = self._initial_waste.copy()
    self.apples = np.zeros_like(self.walls)

  def _spawn(self) -> None:
    apple_prob, waste_prob = self.spawn_probabilities()
    free = self.apple_cells & ~self.apples
    free[self.positions[:, 0], self.positions[:, 1]] = False
    draws = self._rng.random(self.walls.shape)
    self.apples |= free & (draws < apple_prob)
    clean = np.flatnonzero(self.river & ~self.waste)
    if clean.size and waste_prob > 0.0:
      if self._rng.random() < 1.0 - (1.0 - waste_prob) ** clean.size:
        self.waste.flat[self._rng.choice(clean)] = True

  def _beam_blocking(self, action: int) -> Optional[np.ndarray]:
    return self.waste if action == grid.CLEAN else None

  def _clean(self, cells: np.ndarray) -> int:
    dirty = self.waste[cells[:, 0], cells[:, 1]]
    self.waste[cells[dirty, 0], cells[dirty, 1]] = False
    return int(dirty.sum())

  def _static_codes(self) -> np.ndarray:
    codes = super()._static_codes()
    codes = np.where(self.stream, engine.STREAM, codes)
    codes = np.where(self.river, engine.RIVER, codes)
    return np.where(self.waste, engine.WASTE, codes)

  def _palette(self) -> np.ndarray:
    palette = super()._palette()
    if self._original_colors:
      palette[[engine.WASTE, engine.RIVER, engine.STREAM]] = palette[
          [engine.RIVER, engine.WASTE, engine.WASTE]]
    return palette

  def _extra_events(self) -> base.Events:
    return {"waste_end": np.zeros((), np.int64)}

  def _transition(self, actions: np.ndarray) -> tuple:
    result = super()._transition(actions)
    self._events["waste_end"] = np.array(self.waste.sum(), np.int64)
    return result


def settings(setting: str = "lio",
             map_name: Optional[str] = None) -> Dict[str, Any]:
  """Constructor arguments of a named setting (module docstring)."""
  if setting not in SETTINGS:
    raise ValueError(f"unknown Cleanup setting {setting!r}; known: "
                     f"{', '.join(sorted(SETTINGS))}")
  kwargs = dict(SETTINGS[setting])
  if map_name is not None:
    kwargs["map_name"] = map_name
  if setting == "lio":
    kwargs.update(_LIO_MAP_PARAMS.get(kwargs["map_name"],
                                      dict(view_radius=7)))
  return kwargs


def make(setting: str = "lio", map_name: Optional[str] = None,
         **overrides) -> Cleanup:
  """Cleanup in a named setting, with any constructor argument overridden."""
  kwargs = settings(setting, map_name)
  kwargs.update(overrides)
  return Cleanup(**kwargs)
