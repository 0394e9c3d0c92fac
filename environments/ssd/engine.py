"""One gridworld engine for the sequential social dilemmas.

`GridGame` runs the mechanics both games share (thesis App. B.4, the SSD
code base): egocentric movement with conflict resolution, turning, apples
eaten on arrival, beams of width 3 (the penalty beam FIRE and Cleanup's
CLEAN), spawning, and egocentric RGB views. Cleanup and Harvest subclass it
and supply only their spawn rules and layers.

A step runs in the original order: (1) moves and turns, (2) each agent eats
the apple on its cell (+1), (3) beams, in agent order (``shuffle_beams``
draws a random order each step as the original SSD code does), (4) spawning,
(5) observations. Reset places the agents and runs one spawn update.

Observation of agent i: an RGB window of ``2 view_radius + 1`` cells centred
on it and rotated so that it faces up, cells off the map black. Agents are
drawn in their own colours (`AGENT_COLORS`), beams of the last step in
yellow (FIRE) and light cyan (CLEAN). With ``normalize_observation`` the
window is float32 divided by 256 (as in LIO), otherwise uint8.

Conflicts between sources, and the choice made here:

* View rotation of agents facing left or right: the default follows the LIO
  fork ("the agent's left is on the left"); ``mirrored_side_views=True``
  gives the original SSD code's mirrored views.
* Beam order: agent order by default (LIO fork); ``shuffle_beams=True``
  shuffles it each step (original SSD).
* Walkability: only walls block movement (LIO fork; waste, river and stream
  are walkable).
* The penalty beam only penalizes (firer -1, each agent hit -50) as in SSD;
  Melting Pot's removal of zapped players is not modelled.
"""

from __future__ import annotations

import abc
from typing import Dict, Optional, Sequence

import numpy as np
from tf_agents.specs import array_spec

from environments import base
from environments.ssd import grid
from environments.ssd import metrics

EMPTY, WALL, APPLE, WASTE, RIVER, STREAM, FIRE_BEAM, CLEAN_BEAM = range(8)
FIRST_AGENT_CODE = 8
CELL_COLORS = np.array([
    (0, 0, 0),          # empty
    (180, 180, 180),    # wall
    (0, 255, 0),        # apple
    (113, 75, 24),      # waste (brown)
    (99, 156, 194),     # river (blue)
    (99, 156, 194),     # stream (blue)
    (255, 255, 0),      # fire beam
    (100, 255, 255),    # clean beam
], np.uint8)
AGENT_COLORS = np.array([
    (230, 25, 75), (255, 150, 210), (245, 130, 48), (145, 30, 180),
    (240, 50, 230), (255, 255, 255), (128, 0, 0), (70, 70, 255),
    (170, 110, 40), (250, 190, 190),
], np.uint8)
# Cells of each kind the beams leave on the map image for one step.
_BEAM_CODE = {grid.FIRE: FIRE_BEAM, grid.CLEAN: CLEAN_BEAM}


class GridGame(base.MultiAgentPyEnvironment, abc.ABC):
  """Shared mechanics of Cleanup and Harvest (see the module docstring)."""

  def __init__(self,
               layout: Sequence[str],
               num_agents: int,
               actions: Sequence[int],
               max_steps: int,
               view_radius: int,
               random_orientation: bool = True,
               random_spawn: bool = True,
               beam_length: int = 5,
               beam_width: int = 3,
               fire_cost: float = 1.0,
               hit_penalty: float = 50.0,
               normalize_observation: bool = False,
               mirrored_side_views: bool = False,
               shuffle_beams: bool = False,
               terminal_time_limit: bool = False,
               with_state: bool = False,
               seed: Optional[int] = None):
    """Builds the game.

    Args:
      layout: ASCII map (`maps`).
      num_agents: number of agents, at most the number of spawn points.
      actions: the action ids of `grid` that agents can take, in the order of
        their discrete action index (e.g. LIO's Cleanup: left, right, up,
        down, stay, clean).
      max_steps: episode length.
      view_radius: cells seen on each side of the agent.
      random_orientation: random start orientation (else everyone faces up).
      random_spawn: random free spawn points (else agent i takes the last
        free spawn point in row-major order, as LIO's fixed spawn does).
      beam_length: cells a beam travels.
      beam_width: odd number of parallel rays.
      fire_cost: reward lost for firing the penalty beam.
      hit_penalty: reward lost per hit by a penalty beam.
      normalize_observation: float32 views divided by 256 instead of uint8.
      mirrored_side_views: the original SSD view rotation (module docstring).
      shuffle_beams: random beam order each step (module docstring).
      terminal_time_limit: whether the time limit is a termination.
      with_state: add the global state (full map image and a multi-hot of
        the agents that used the cleaning beam in the last step).
      seed: seed of the environment's generator.
    """
    layers = grid.parse(layout)
    spawns = grid.spawn_cells(layout)
    if num_agents > len(spawns):
      raise ValueError(f"the map has {len(spawns)} spawn points, fewer than "
                       f"num_agents={num_agents}")
    if view_radius < 1:
      raise ValueError(f"view_radius must be >= 1, got {view_radius}")
    unknown = [a for a in actions if not 0 <= a < len(grid.ACTION_NAMES)]
    if unknown or len(set(actions)) != len(actions) or not actions:
      raise ValueError(f"actions must be distinct ids in 0..8, got {actions}")
    if beam_width < 1 or beam_width % 2 == 0:
      raise ValueError(f"beam_width must be odd and positive, got "
                       f"{beam_width}")
    super().__init__(num_agents, max_steps, seed=seed,
                     terminal_time_limit=terminal_time_limit,
                     has_state=with_state)
    self.layout = tuple(layout)
    self.actions = np.array(actions, np.int64)
    self.walls = layers["@"]
    self.spawn_points = spawns
    self.view_radius = int(view_radius)
    self._random_orientation = random_orientation
    self._random_spawn = random_spawn
    self._beam_length = int(beam_length)
    self._beam_width = int(beam_width)
    self._fire_cost = float(fire_cost)
    self._hit_penalty = float(hit_penalty)
    self._normalize = normalize_observation
    self._shuffle_beams = shuffle_beams
    self._offsets = grid.view_offsets(self.view_radius, mirrored_side_views)
    self.positions = np.zeros((num_agents, 2), np.int64)
    self.orientations = np.zeros(num_agents, np.int64)
    self.apples = np.zeros_like(self.walls)
    self._beams = np.zeros(self.walls.shape, np.int64)
    self._cleaners = np.zeros(num_agents, np.float32)

  # ------------------------------------------------------------ rule hooks
  @abc.abstractmethod
  def _reset_layers(self) -> None:
    """Restores the game's dynamic layers (apples, waste) to the map's."""

  @abc.abstractmethod
  def _spawn(self) -> None:
    """One spawn update (apples, waste)."""

  def _static_codes(self) -> np.ndarray:
    """Cell codes of everything but apples, beams and agents."""
    return np.where(self.walls, WALL, EMPTY)

  def _clean(self, cells: np.ndarray) -> int:
    """Applies a cleaning beam to `cells`; returns how many were cleaned."""
    del cells
    return 0

  def _beam_blocking(self, action: int) -> Optional[np.ndarray]:
    """Cells that stop a beam after covering it (Cleanup: waste)."""
    del action
    return None

  def _extra_events(self) -> base.Events:
    return {}

  # -------------------------------------------------------------- contract
  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    size = 2 * self.view_radius + 1
    if self._normalize:
      return array_spec.BoundedArraySpec((size, size, 3), np.float32, 0.0,
                                         1.0, name=self.agent_ids[index])
    return array_spec.BoundedArraySpec((size, size, 3), np.uint8, 0, 255,
                                       name=self.agent_ids[index])

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec((), np.int32, 0, len(self.actions) - 1,
                                       name=self.agent_ids[index])

  def _state_spec(self) -> Dict[str, array_spec.ArraySpec]:
    height, width = self.walls.shape
    dtype, high = (np.float32, 1.0) if self._normalize else (np.uint8, 255)
    return {
        "image": array_spec.BoundedArraySpec((height, width, 3), dtype, 0,
                                             high, name="image"),
        "cleaners": array_spec.BoundedArraySpec((self.num_agents,),
                                                np.float32, 0.0, 1.0,
                                                name="cleaners"),
    }

  def _reset_state(self) -> base.Events:
    self._reset_layers()
    free = self.spawn_points
    if self._random_spawn:
      chosen = self._rng.choice(len(free), self.num_agents, replace=False)
    else:
      chosen = np.arange(len(free) - 1, len(free) - 1 - self.num_agents, -1)
    self.positions = free[chosen].copy()
    self.orientations = (self._rng.integers(0, 4, self.num_agents)
                         if self._random_orientation
                         else np.full(self.num_agents, grid.UP, np.int64))
    self._beams[:] = EMPTY
    self._cleaners[:] = 0.0
    self._spawn()
    zeros = np.zeros(self.num_agents, np.int64)
    events = {"apples": zeros.copy(), "cleaned": zeros.copy(),
              "clean_beams": zeros.copy(), "fire_beams": zeros.copy(),
              "hits": zeros.copy(), "apple_step_sum": zeros.copy()}
    events.update(self._extra_events())
    return events

  def _transition(self, actions: np.ndarray) -> tuple:
    moves = self.actions[np.asarray(actions, np.int64)]
    self.orientations = grid.turn(moves, self.orientations)
    targets = self.positions + grid.move_steps(moves, self.orientations)
    self.positions = grid.resolve_moves(self.positions, targets, ~self.walls,
                                        self._rng)

    rewards = np.zeros(self.num_agents)
    eaten = self.apples[self.positions[:, 0], self.positions[:, 1]]
    self.apples[self.positions[eaten, 0], self.positions[eaten, 1]] = False
    rewards += eaten
    self._events["apples"] += eaten
    self._events["apple_step_sum"] += eaten * (self._step_count + 1)

    self._beams[:] = EMPTY
    firing = np.flatnonzero((moves == grid.FIRE) | (moves == grid.CLEAN))
    if self._shuffle_beams:
      firing = self._rng.permutation(firing)
    occupied = np.zeros_like(self.walls)
    occupied[self.positions[:, 0], self.positions[:, 1]] = True
    for agent in firing:
      rewards += self._fire(agent, moves[agent], occupied)
    self._cleaners = (moves == grid.CLEAN).astype(np.float32)
    self._spawn()
    return rewards, False

  def _fire(self, agent: int, action: int,
            occupied: np.ndarray) -> np.ndarray:
    """Fires agent's beam; returns the reward change of every agent."""
    cells = grid.beam_cells(self.positions[agent], self.orientations[agent],
                            self._beam_length, self._beam_width, ~self.walls,
                            occupied, self._beam_blocking(action))
    self._beams[cells[:, 0], cells[:, 1]] = _BEAM_CODE[action]
    change = np.zeros(self.num_agents)
    if action == grid.CLEAN:
      self._events["clean_beams"][agent] += 1
      self._events["cleaned"][agent] += self._clean(cells)
      return change
    self._events["fire_beams"][agent] += 1
    change[agent] -= self._fire_cost
    hit = {(row, col) for row, col in cells.tolist()}
    victims = np.array([cell in hit for cell in map(tuple, self.positions
                                                     .tolist())])
    change[victims] -= self._hit_penalty
    self._events["hits"] += victims
    return change

  def outcome_metrics(self, returns: np.ndarray,
                      finished_events: Sequence[base.Events]
                      ) -> Dict[str, Optional[float]]:
    """Mean over episodes of `metrics.episode_metrics` (None if undefined).

    Args:
      returns: ``[E, N]`` per-episode returns.
      finished_events: the E episodes' event counters, in the same order.
    """
    rows = [metrics.episode_metrics(r, e)
            for r, e in zip(returns, finished_events)]
    out = {}
    for key in rows[0]:
      values = np.array([row[key] for row in rows], np.float64)
      finite = values[np.isfinite(values)]
      out[key] = float(finite.mean()) if finite.size else None
    return out

  # ----------------------------------------------------------- observation
  def cell_codes(self) -> np.ndarray:
    """The map as cell codes (`EMPTY` ... and ``FIRST_AGENT_CODE + i``)."""
    codes = self._static_codes()
    codes[self.apples] = APPLE
    beams = self._beams != EMPTY
    codes[beams] = self._beams[beams]
    codes[self.positions[:, 0], self.positions[:, 1]] = (
        FIRST_AGENT_CODE + np.arange(self.num_agents))
    return codes

  def _palette(self) -> np.ndarray:
    agents = AGENT_COLORS[np.arange(self.num_agents) % len(AGENT_COLORS)]
    return np.concatenate([CELL_COLORS, agents])

  def rgb_map(self) -> np.ndarray:
    """The whole map as a ``[H, W, 3]`` uint8 image, one pixel per cell."""
    return self._palette()[self.cell_codes()]

  def _build_view_tables(self) -> None:
    """Palette and padded-image buffer of the observations, made once."""
    palette = self._palette()
    self._view_palette = (palette.astype(np.float32) / 256.0
                          if self._normalize else palette)
    radius = self.view_radius
    height, width = self.walls.shape
    self._padded = np.zeros((height + 2 * radius, width + 2 * radius, 3),
                            self._view_palette.dtype)

  def _observe(self) -> Dict[str, np.ndarray]:
    if not hasattr(self, "_padded"):
      self._build_view_tables()
    radius = self.view_radius
    codes = self.cell_codes()
    image = self._view_palette[codes]
    self._padded[radius:-radius, radius:-radius] = image
    views = grid.egocentric_views(self._padded, self.positions,
                                  self.orientations, self._offsets, radius)
    obs = {a: views[i] for i, a in enumerate(self.agent_ids)}
    if self.has_state:
      obs[base.STATE_KEY] = {"image": image,
                             "cleaners": self._cleaners.copy()}
    return obs

  def render(self, mode: str = "rgb_array", cell_pixels: int = 8
             ) -> np.ndarray:
    """The map scaled to `cell_pixels` per cell (uint8 RGB)."""
    if mode != "rgb_array":
      raise ValueError(f"only rgb_array rendering, got {mode!r}")
    image = self.rgb_map()
    return np.repeat(np.repeat(image, cell_pixels, 0), cell_pixels, 1)
