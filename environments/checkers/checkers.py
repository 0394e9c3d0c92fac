"""CM3 Checkers: two agents collect red and yellow fruit (thesis App. A.7.3).

Game. The valid grid has 3 rows and 9 columns: 8 fruit columns and the start
column 8. Red fruit lies on the even columns of rows 0 and 2 and the odd
columns of row 1, yellow fruit on the other fruit cells (12 of each):

    R Y R Y R Y R Y A
    Y R Y R Y R Y R .
    R Y R Y R Y R Y B

Agent A (``agent_0``, goal red) starts at (0, 8), agent B (``agent_1``, goal
yellow) at (2, 8). Actions: 0 stay, 1 up, 2 down, 3 left, 4 right. Agents move
one after the other in index order, so agent 1 already sees agent 0's new
cell. A move out of the valid grid or into the other agent's cell is invalid:
the agent stays and gets ``invalid_move_reward`` (-0.1). Entering a cell with
fruit collects it (the fruit disappears): +1 if it has the agent's goal
colour, -0.5 otherwise. The reward is the vector of these individual rewards.
The episode ends when all 24 fruits are collected or after ``max_steps`` (75)
steps; by default the time limit is part of the game and ends the episode as a
termination (discount 0), as in CM3's code, which marks it done
(``terminal_time_limit=False`` makes it a truncation).

Stage 1 (``stage1=True``, thesis "induced MDP"): one agent (``agent_0``)
takes the role of A or B, drawn uniformly each episode: goal red and start
(0, 8), or goal yellow and start (2, 8). All 24 fruits are on the grid. The
episode ends when all fruit of the goal colour is collected (CM3's code) or at
``max_steps``.

Observation of agent n, a flat float32 vector laid out as
`multigoal_parts` describes, ``[o_self | goal | o_others]``:

* o_self (84; view 0:75, coordinates 75:77, counts 77:79, previous action
  79:84): the 5 x 5 x 3 view centred on the agent, flattened row-major
  (H, W, C), channel 0 red fruit present, 1 yellow fruit present, 2 invalid
  cells (the 2-cell padding around the valid grid and cells of other agents;
  the own cell is valid); the agent's (row, col) normalized to [0, 1] as
  ``(row / 2, col / 8)``; its red and yellow collected so far divided by 12
  (the fruit of one colour); the one-hot of its previous action (5 zeros at
  the start of an episode).
* goal (2): one-hot colour, red ``[1, 0]`` (A) or yellow ``[0, 1]`` (B).
* o_others (2 per other agent, 0 in Stage 1): the others' normalized
  (row, col), in index order.

Global state ``observation["state"]`` = ``[s_T | s^0 | s^1]``: s_T is the 3 x 9
x 2 fruit presence of the valid grid flattened (H, W, C) (54); each s^n is
(row, col, #red, #yellow) normalized like the observation, ``(row / 2,
col / 8, #red / 12, #yellow / 12)``, or the integers themselves with
``raw_state=True`` (the thesis' "integer-valued" s_V).

Events (`get_info`, per agent): fruit collected (``red``, ``yellow``),
``invalid`` moves, and the episode's ``goal`` colour (for Stage-1 analysis).
`set_scene` builds scenes (positions, fruit, goals) for tests and analysis.

Conflicts between the sources and how they are resolved:

* Episode length: thesis 75 (App. A.7.3, Table A.5); CM3's code defaults to
  50 and its config passes 33. Default 75; ``max_steps`` sets another.
* Padded grid: the thesis calls it 5 x 13, but 3 valid rows with 2 padding
  rows on each side make 7 x 13 (the code normalizes by 7 and 13). We pad to
  7 x 13.
* Start cells: the thesis' A (2, 8) and B (4, 8) read in padded rows are the
  valid rows 0 and 2; their column 8 is read as the valid start column 8 (as
  in the code), not padded column 8 (a fruit cell).
* Stage-1 roles: the thesis draws the role A or B, the code draws the goal
  and starts at row 0 for red and row 2 for yellow: the same thing. The
  thesis ends Stage 1 like the game (all fruit collected); the code when the
  goal colour's fruit is gone. Default: the code; ``stage1_all_fruit=True``
  for the thesis.
* Invalid moves: the thesis lists no penalty; the code gives -0.1. Default
  -0.1; ``invalid_move_reward=0.0`` for the thesis.
* View encoding and coordinates: the thesis has 1-hot fruit and invalid
  channels and coordinates "normalized by total size of grid"; the code marks
  uncollected fruit -1 and collected fruit +1, padding +1 and other agents -1
  in the invalid channel, and normalizes padded coordinates as
  ``(r - 3.5) / 7, (c - 6.5) / 13``. Default: the thesis' channels with
  [0, 1] coordinates; ``cm3_code_observations=True`` for the code's view and
  coordinates (o_others too).
* The previous action: the thesis does not list it; CM3's Checkers actor
  takes the one-hot previous action as an input. Here it is part of o_self,
  so every method's networks see it (Stage 1 and 2 alike).
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np
from tf_agents.specs import array_spec

from environments import base
from environments import multigoal

ROWS, COLS = 3, 9
FRUIT_COLS = 8
START_COL = 8
START_ROWS = (0, 2)            # Of agent A (goal red) and B (goal yellow).
PAD = 2                        # Cells of padding on each side of the grid.
VIEW = 2 * PAD + 1             # Side of the local view.
PADDED_SHAPE = (ROWS + 2 * PAD, COLS + 2 * PAD)
RED, YELLOW = 0, 1
COLOURS = ("red", "yellow")
FRUIT_PER_COLOUR = 12
STAY, UP, DOWN, LEFT, RIGHT = range(5)
NUM_ACTIONS = 5
GOAL_REWARD = 1.0
OTHER_REWARD = -0.5
INVALID_REWARD = -0.1
DEFAULT_MAX_STEPS = 75

SELF_IMAGE_SHAPE = (VIEW, VIEW, 3)
ENV_IMAGE_SHAPE = (ROWS, COLS, 2)
_VIEW_SIZE = VIEW * VIEW * 3                         # 75
SELF_SIZE = _VIEW_SIZE + 2 + 2 + NUM_ACTIONS         # 84
GOAL_SIZE = 2
ENV_STATE_SIZE = ROWS * COLS * 2                     # 54
AGENT_STATE_SIZE = 4
_MOVES = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
_INVALID = 2                                         # Channel of invalid cells.

# Rendering: pixels per cell and colours.
_CELL = 16
_PADDING_RGB = (90, 90, 90)
_FLOOR_RGB = (235, 235, 235)
_FRUIT_RGB = ((215, 40, 40), (235, 195, 30))
_AGENT_RGB = ((40, 90, 215), (120, 40, 160))


def initial_fruit() -> np.ndarray:
  """The start layout: ``[ROWS, COLS, 2]`` presence of red and yellow."""
  rows, cols = np.indices((ROWS, COLS))
  field = cols < FRUIT_COLS
  red = field & ((rows + cols) % 2 == 0)
  return np.stack([red, field & ~red], axis=-1).astype(np.float32)


class Checkers(base.MultiAgentPyEnvironment):
  """The two-agent game, or its Stage-1 single-agent MDP (``stage1``)."""

  def __init__(self,
               max_steps: int = DEFAULT_MAX_STEPS,
               stage1: bool = False,
               seed: Optional[int] = None,
               terminal_time_limit: bool = True,
               invalid_move_reward: float = INVALID_REWARD,
               raw_state: bool = False,
               cm3_code_observations: bool = False,
               stage1_all_fruit: bool = False):
    """Builds the game.

    Args:
      max_steps: episode length limit (75 in the thesis).
      stage1: one agent with a random goal (CM3's Stage 1) instead of two.
      seed: seed of the Stage-1 goal draws (Stage 2 is deterministic).
      terminal_time_limit: whether the time limit is a termination.
      invalid_move_reward: reward of a move out of the grid or into an agent.
      raw_state: integer (row, col, #red, #yellow) in the state.
      cm3_code_observations: the CM3 code's view encoding and coordinates.
      stage1_all_fruit: Stage 1 ends only when all fruit is collected.
    """
    num_agents = 1 if stage1 else 2
    super().__init__(num_agents, max_steps, seed=seed,
                     terminal_time_limit=terminal_time_limit, has_state=True)
    self.stage1 = bool(stage1)
    self._invalid_reward = float(invalid_move_reward)
    self._raw_state = bool(raw_state)
    self._code_obs = bool(cm3_code_observations)
    self._stage1_all_fruit = bool(stage1_all_fruit)
    self._start_grid = self._padded_grid(initial_fruit())
    self._grid = self._start_grid.copy()
    # Views into the valid region of the padded grid.
    self._fruit = self._grid[PAD:PAD + ROWS, PAD:PAD + COLS, :2]
    self._colour = np.full((ROWS, COLS), -1, np.int64)
    self._remaining = [0, 0]
    self._pos = [[START_ROWS[i], START_COL] for i in range(num_agents)]
    self._counts = np.zeros((num_agents, 2), np.float32)
    self._prev = [-1] * num_agents
    self._goals = list(range(num_agents))
    self._others = [[j for j in range(num_agents) if j != i]
                    for i in range(num_agents)]
    self._coords = self._coordinate_table()
    self._other_mark = -1.0 if self._code_obs else 1.0
    scale = (1.0, 1.0, 1.0, 1.0) if raw_state else (
        1.0 / (ROWS - 1), 1.0 / (COLS - 1), 1.0 / FRUIT_PER_COLOUR,
        1.0 / FRUIT_PER_COLOUR)
    self._state_scale = np.array(scale, np.float32)
    self._parts = multigoal.MultiGoalParts(
        num_agents=num_agents, self_size=SELF_SIZE, goal_size=GOAL_SIZE,
        others_size=2 * (num_agents - 1), env_state_size=ENV_STATE_SIZE,
        agent_state_size=AGENT_STATE_SIZE, self_image_shape=SELF_IMAGE_SHAPE,
        env_image_shape=ENV_IMAGE_SHAPE)
    self._eye = np.eye(max(NUM_ACTIONS, GOAL_SIZE), dtype=np.float32)
    self._sync_fruit()  # No random draw before the first reset.

  # ------------------------------------------------------------ properties
  @property
  def multigoal_parts(self) -> multigoal.MultiGoalParts:
    """The layout of observations and state (CM3's function augmentation)."""
    return self._parts

  @property
  def goals(self) -> np.ndarray:
    """Goal colour of every agent this episode (0 red, 1 yellow)."""
    return np.array(self._goals, np.int64)

  @property
  def positions(self) -> np.ndarray:
    """``[num_agents, 2]`` (row, col) in the valid grid."""
    return np.array(self._pos, np.int64)

  @property
  def fruit(self) -> np.ndarray:
    """``[ROWS, COLS, 2]`` presence of red and yellow fruit (a copy)."""
    return self._fruit.copy()

  # ------------------------------------------------------------------ specs
  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    low = -1.0 if self._code_obs else 0.0
    return array_spec.BoundedArraySpec((self._parts.observation_size,),
                                       np.float32, low, 1.0,
                                       name=self.agent_ids[index])

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec((), np.int32, 0, NUM_ACTIONS - 1,
                                       name=self.agent_ids[index])

  def _state_spec(self) -> array_spec.ArraySpec:
    high = float(FRUIT_PER_COLOUR) if self._raw_state else 1.0
    return array_spec.BoundedArraySpec((self._parts.state_size,), np.float32,
                                       0.0, high, name=base.STATE_KEY)

  # ------------------------------------------------------------------ rules
  def _reset_state(self) -> base.Events:
    self._grid[...] = self._start_grid
    self._sync_fruit()
    if self.stage1:
      goal = int(self._rng.integers(GOAL_SIZE))
      self._goals = [goal]
      self._pos = [[START_ROWS[goal], START_COL]]
    else:
      self._goals = list(range(self.num_agents))
      self._pos = [[START_ROWS[i], START_COL] for i in range(self.num_agents)]
    self._counts[...] = 0.0
    self._prev = [-1] * self.num_agents
    zeros = np.zeros(self.num_agents, np.int64)
    return {"red": zeros.copy(), "yellow": zeros.copy(),
            "invalid": zeros.copy(), "goal": self.goals}

  def _transition(self, actions: np.ndarray) -> tuple:
    rewards = np.zeros(self.num_agents, np.float32)
    for i, action in enumerate(actions.tolist()):
      if not 0 <= action < NUM_ACTIONS:
        raise ValueError(f"{self.agent_ids[i]}: action {action} outside "
                         f"[0, {NUM_ACTIONS - 1}]")
      self._prev[i] = action
      if action != STAY:
        rewards[i] = self._move(i, action)
    return rewards, self._all_collected()

  def _move(self, i: int, action: int) -> float:
    """Moves agent `i`; returns its reward."""
    dr, dc = _MOVES[action]
    r, c = self._pos[i][0] + dr, self._pos[i][1] + dc
    if not (0 <= r < ROWS and 0 <= c < COLS) or self._occupied(r, c, i):
      self._events["invalid"][i] += 1
      return self._invalid_reward
    self._pos[i] = [r, c]
    colour = int(self._colour[r, c])
    if colour < 0:
      return 0.0
    self._colour[r, c] = -1
    self._fruit[r, c, colour] = 0.0
    self._remaining[colour] -= 1
    self._counts[i, colour] += 1.0
    self._events[COLOURS[colour]][i] += 1
    return GOAL_REWARD if colour == self._goals[i] else OTHER_REWARD

  def _occupied(self, r: int, c: int, i: int) -> bool:
    return any(self._pos[j] == [r, c] for j in self._others[i])

  def _all_collected(self) -> bool:
    """The end of the episode before the time limit."""
    if self.stage1 and not self._stage1_all_fruit:
      return self._remaining[self._goals[0]] == 0
    return self._remaining[RED] + self._remaining[YELLOW] == 0

  # ----------------------------------------------------------- observation
  def _observe(self) -> Dict[str, np.ndarray]:
    out = {a: self._agent_observation(i) for i, a in enumerate(self.agent_ids)}
    out[base.STATE_KEY] = self._state()
    return out

  def _agent_observation(self, i: int) -> np.ndarray:
    obs = np.empty(self._parts.observation_size, np.float32)
    r, c = self._pos[i]
    view = obs[:_VIEW_SIZE].reshape(SELF_IMAGE_SHAPE)
    view[...] = self._grid[r:r + VIEW, c:c + VIEW]
    if self._code_obs:  # Uncollected -1, collected +1, never fruit 0.
      view[..., :2] = (self._start_grid[r:r + VIEW, c:c + VIEW, :2]
                       - 2.0 * view[..., :2])
    for j in self._others[i]:
      dr, dc = self._pos[j][0] - r, self._pos[j][1] - c
      if abs(dr) <= PAD and abs(dc) <= PAD:
        view[PAD + dr, PAD + dc, _INVALID] = self._other_mark
    k = _VIEW_SIZE
    obs[k:k + 2] = self._coords[r, c]
    obs[k + 2:k + 4] = self._counts[i] * (1.0 / FRUIT_PER_COLOUR)
    obs[k + 4:k + 4 + NUM_ACTIONS] = 0.0
    if self._prev[i] >= 0:
      obs[k + 4 + self._prev[i]] = 1.0
    k = SELF_SIZE
    obs[k:k + GOAL_SIZE] = self._eye[self._goals[i], :GOAL_SIZE]
    k += GOAL_SIZE
    for j in self._others[i]:
      obs[k:k + 2] = self._coords[self._pos[j][0], self._pos[j][1]]
      k += 2
    return obs

  def _state(self) -> np.ndarray:
    state = np.empty(self._parts.state_size, np.float32)
    state[:ENV_STATE_SIZE].reshape(ENV_IMAGE_SHAPE)[...] = self._fruit
    agents = state[ENV_STATE_SIZE:].reshape(self.num_agents, AGENT_STATE_SIZE)
    agents[:, :2] = self._pos
    agents[:, 2:] = self._counts
    agents *= self._state_scale
    return state

  def _coordinate_table(self) -> np.ndarray:
    """``[ROWS, COLS, 2]`` normalized (row, col) of every valid cell."""
    cells = np.stack(np.indices((ROWS, COLS)), axis=-1).astype(np.float64)
    if self._code_obs:  # Padded coordinates around the padded grid's centre.
      sizes = np.array(PADDED_SHAPE, np.float64)
      table = (cells + PAD - sizes / 2.0) / sizes
    else:
      table = cells / np.array([ROWS - 1, COLS - 1], np.float64)
    return table.astype(np.float32)

  # ------------------------------------------------------------ the layout
  @staticmethod
  def _padded_grid(fruit: np.ndarray) -> np.ndarray:
    """``[7, 13, 3]``: fruit of the valid grid, padding in channel 2."""
    grid = np.zeros(PADDED_SHAPE + (3,), np.float32)
    grid[..., _INVALID] = 1.0
    grid[PAD:PAD + ROWS, PAD:PAD + COLS, _INVALID] = 0.0
    grid[PAD:PAD + ROWS, PAD:PAD + COLS, :2] = fruit
    return grid

  def _sync_fruit(self) -> None:
    """Rebuilds the colour table and fruit counts from the fruit grid."""
    present = self._fruit > 0.5
    self._colour[...] = np.where(present[..., RED], RED,
                                 np.where(present[..., YELLOW], YELLOW, -1))
    self._remaining = [int(present[..., RED].sum()),
                       int(present[..., YELLOW].sum())]

  def set_scene(self,
                positions: Optional[Sequence[Sequence[int]]] = None,
                fruit: Optional[np.ndarray] = None,
                goals: Optional[Sequence[int]] = None
                ) -> Dict[str, np.ndarray]:
    """Replaces parts of the current state (tests, analysis).

    Call it during an episode: after its last step the next step resets.
    A scene without fruit (of the Stage-1 goal colour) ends at the next step.

    Args:
      positions: (row, col) of every agent in the valid grid, distinct.
      fruit: ``[3, 9, 2]`` presence of red and yellow, at most one per cell.
      goals: goal colour of every agent (0 red, 1 yellow).

    Returns:
      The observation of the new state.
    """
    positions = self._pos if positions is None else [
        [int(r), int(c)] for r, c in positions]
    if (len(positions) != self.num_agents
        or len({tuple(p) for p in positions}) != self.num_agents
        or not all(0 <= r < ROWS and 0 <= c < COLS for r, c in positions)):
      raise ValueError(f"need {self.num_agents} distinct cells in the "
                       f"{ROWS} x {COLS} grid, got {positions}")
    fruit = self._fruit.copy() if fruit is None else np.asarray(fruit,
                                                                np.float32)
    if fruit.shape != ENV_IMAGE_SHAPE or np.any(fruit.sum(-1) > 1.0):
      raise ValueError(f"fruit must be {ENV_IMAGE_SHAPE} with at most one "
                       "fruit a cell")
    if any(fruit[r, c].any() for r, c in positions):
      raise ValueError("an agent stands on fruit")
    if goals is not None:
      if len(goals) != self.num_agents or not all(g in (RED, YELLOW)
                                                  for g in goals):
        raise ValueError(f"need {self.num_agents} goals in (0, 1): {goals}")
      self._goals = [int(g) for g in goals]
      self._events["goal"] = self.goals
    self._pos = positions
    self._fruit[...] = fruit
    self._sync_fruit()
    return self._observe()

  # -------------------------------------------------------------- rendering
  def render_rgb(self) -> np.ndarray:
    """The padded grid, ``[7 * 16, 13 * 16, 3]`` uint8.

    Padding grey, fruit small squares, agents large squares (A blue, B
    purple) with a dot of their goal colour.
    """
    image = np.empty(PADDED_SHAPE + (3,), np.uint8)
    image[...] = _PADDING_RGB
    image[PAD:PAD + ROWS, PAD:PAD + COLS] = _FLOOR_RGB
    image = np.repeat(np.repeat(image, _CELL, 0), _CELL, 1)
    for r, c, colour in zip(*np.nonzero(self._fruit > 0.5)):
      self._paint(image, r, c, 5, _FRUIT_RGB[colour])
    for i, (r, c) in enumerate(self._pos):
      self._paint(image, r, c, 2, _AGENT_RGB[i % len(_AGENT_RGB)])
      self._paint(image, r, c, 6, _FRUIT_RGB[self._goals[i]])
    return image

  def render(self, mode: str = "rgb_array") -> np.ndarray:
    if mode != "rgb_array":
      raise ValueError(f"only rgb_array rendering, got {mode!r}")
    return self.render_rgb()

  @staticmethod
  def _paint(image: np.ndarray, r: int, c: int, inset: int,
             rgb: Sequence[int]) -> None:
    """Fills valid cell (r, c) but an `inset`-pixel margin."""
    top, left = (r + PAD) * _CELL, (c + PAD) * _CELL
    image[top + inset:top + _CELL - inset,
          left + inset:left + _CELL - inset] = rgb
