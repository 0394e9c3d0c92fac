"""Escape Room ER(N, M) and its asymmetric two-player variant (thesis §5.3.1).

Symmetric ER(N, M): every agent starts at ``start``. An action is the position
to move to: 0 = lever, 1 = start, 2 = door. In a step the door is open iff at
least M agents choose the lever. Per agent and step the extrinsic reward is

* +10 if the door is open and the agent chooses the door (moving to it or
  staying at it, thesis App. B.4.1),
* otherwise 0 if it stays where it is,
* otherwise -1 (any movement costs 1, lever pulls included).

The episode ends when the door is open and an agent stands at the door, or
after ``max_steps`` (5) steps; the 5-step limit is part of the game and ends
the episode as a termination. The global optimum of the collective return is
``10 (N - M) - M`` in one step (9 for ER(2, 1), 8 for ER(3, 2)).

Agent observation: one-hot of its own position, then one-hot positions of the
other agents in index order (``3 N`` floats). With ``with_state`` the global
state (one-hot positions of all agents) is added under ``"state"``. Methods
that give incentives (LIO) add the incentives they gave to their own
observation; the environment does not know about incentives.

Conflict resolved: LIO's baseline code randomizes start positions for N = 3
only; here all agents start at ``start`` and ``random_start=True`` draws every
start position uniformly.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from tf_agents.specs import array_spec

from environments import base

LEVER, START, DOOR = 0, 1, 2
NUM_POSITIONS = 3
DOOR_REWARD = 10.0
MOVE_COST = -1.0
_COLORS = np.array([[230, 25, 75], [60, 180, 75], [0, 130, 200],
                    [245, 130, 48], [145, 30, 180], [70, 240, 240]], np.uint8)


def optimal_collective_return(num_agents: int, min_at_lever: int) -> float:
  """Best collective return of ER(N, M): M pull the lever, N - M exit."""
  return DOOR_REWARD * (num_agents - min_at_lever) + MOVE_COST * min_at_lever


class EscapeRoom(base.MultiAgentPyEnvironment):
  """Symmetric N-player Escape Room ER(N, M)."""

  def __init__(self,
               num_agents: int = 2,
               min_at_lever: int = 1,
               max_steps: int = 5,
               random_start: bool = False,
               with_state: bool = False,
               seed: Optional[int] = None):
    if num_agents < 2:
      raise ValueError(f"Escape Room needs N >= 2 agents, got {num_agents}")
    if not 1 <= min_at_lever < num_agents:
      raise ValueError(f"Escape Room needs 1 <= M < N, got N={num_agents}, "
                       f"M={min_at_lever}")
    super().__init__(num_agents, max_steps, seed=seed,
                     terminal_time_limit=True, has_state=with_state)
    self.min_at_lever = min_at_lever
    self._random_start = random_start
    self._positions = np.full(num_agents, START, np.int64)
    eye = np.eye(NUM_POSITIONS, dtype=np.float32)
    self._eye = eye
    # Row i lists agent i first, then the others in index order.
    self._view_order = np.array(
        [[i] + [j for j in range(num_agents) if j != i]
         for i in range(num_agents)])

  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    return array_spec.BoundedArraySpec((NUM_POSITIONS * self.num_agents,),
                                       np.float32, 0.0, 1.0,
                                       name=self.agent_ids[index])

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec((), np.int32, 0, NUM_POSITIONS - 1,
                                       name=self.agent_ids[index])

  def _state_spec(self) -> array_spec.ArraySpec:
    return array_spec.BoundedArraySpec((NUM_POSITIONS * self.num_agents,),
                                       np.float32, 0.0, 1.0, name="state")

  def _reset_state(self) -> base.Events:
    if self._random_start:
      self._positions = self._rng.integers(0, NUM_POSITIONS, self.num_agents)
    else:
      self._positions = np.full(self.num_agents, START, np.int64)
    zeros = np.zeros(self.num_agents, np.int64)
    return {"lever": zeros.copy(), "door": zeros.copy(), "stay": zeros.copy(),
            "door_opened": np.zeros((), np.int64)}

  def _observe(self) -> Dict[str, np.ndarray]:
    one_hot = self._eye[self._positions]                      # [N, 3]
    views = one_hot[self._view_order].reshape(self.num_agents, -1)
    obs = {a: views[i] for i, a in enumerate(self.agent_ids)}
    if self.has_state:
      obs[base.STATE_KEY] = one_hot.reshape(-1)
    return obs

  def _transition(self, actions: np.ndarray) -> tuple:
    door_open = np.count_nonzero(actions == LEVER) >= self.min_at_lever
    stays = actions == self._positions
    rewards = np.where(stays, 0.0, MOVE_COST)
    if door_open:
      rewards = np.where(actions == DOOR, DOOR_REWARD, rewards)
    self._positions = actions.copy()
    self._events["lever"] += actions == LEVER
    self._events["door"] += actions == DOOR
    self._events["stay"] += stays
    self._events["door_opened"] += door_open
    terminated = bool(door_open and np.any(actions == DOOR))
    return rewards, terminated

  def render(self, mode: str = "rgb_array") -> np.ndarray:
    """One row per agent, one column per position; agents drawn as squares."""
    if mode != "rgb_array":
      raise ValueError(f"only rgb_array rendering, got {mode!r}")
    cell = 16
    image = np.full((self.num_agents * cell, NUM_POSITIONS * cell, 3), 255,
                    np.uint8)
    image[:, DOOR * cell:(DOOR + 1) * cell] = (220, 220, 220)
    for i, pos in enumerate(self._positions):
      image[i * cell + 3:(i + 1) * cell - 3,
            pos * cell + 3:(pos + 1) * cell - 3] = _COLORS[i % len(_COLORS)]
    return image


class AsymmetricEscapeRoom(base.MultiAgentPyEnvironment):
  """Two-player asymmetric Escape Room (thesis App. B.5.1).

  Agent 0 (A1) can reach the door; agent 1 (A2) can pull the lever. A1's action
  is ``2 * give + move`` with move 0 = start, 1 = door and give 1 = hand
  ``give_value`` to A2 at a cost of ``give_value`` to itself; A2's action is
  0 = start, 1 = lever. The door is open iff A2 chooses the lever. A1 gets +10
  if the door is open and it chooses the door, otherwise -1 each step; A2 gets
  -1 for changing position, else 0. Once A1 has exited, all later rewards are
  0 and the episode runs to ``max_steps`` (fixed length, as in the source).

  Observations: A1 sees its own and A2's position (one-hot, 4 floats) and the
  total it has given this episode; A2 sees its own position (2 floats). The
  source's A1 also sees A2's current action before acting, which needs a
  sequential policy call; methods that want it (LIO) query A2 first.

  With ``give_actions=False`` A1 only moves (2 actions) and sees the two
  positions (4 floats): the game for methods that give through a separate
  incentive channel (LIO paired with a PG recipient).
  """

  def __init__(self, max_steps: int = 5, give_value: float = 2.0,
               give_actions: bool = True, seed: Optional[int] = None):
    super().__init__(2, max_steps, seed=seed, terminal_time_limit=True)
    self._give_actions = bool(give_actions)
    self._give_value = float(give_value)
    self._positions = np.zeros(2, np.int64)
    self._given = 0.0
    self._solved = False

  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    size = (4 + self._give_actions) if index == 0 else 2
    return array_spec.ArraySpec((size,), np.float32, name=self.agent_ids[index])

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    last = (3 if self._give_actions else 1) if index == 0 else 1
    return array_spec.BoundedArraySpec((), np.int32, 0, last,
                                       name=self.agent_ids[index])

  def _reset_state(self) -> base.Events:
    self._positions = np.zeros(2, np.int64)
    self._given = 0.0
    self._solved = False
    zeros = np.zeros(2, np.int64)
    return {"door": zeros.copy(), "lever": zeros.copy(), "give": zeros.copy(),
            "solved": np.zeros((), np.int64)}

  def _observe(self) -> Dict[str, np.ndarray]:
    own = self._one_hot(self._positions[0], 2)
    other = self._one_hot(self._positions[1], 2)
    given = [self._given] if self._give_actions else []
    a1 = np.concatenate([own, other, given]).astype(np.float32)
    return {self.agent_ids[0]: a1, self.agent_ids[1]: other}

  def _transition(self, actions: np.ndarray) -> tuple:
    move, give = actions[0] % 2, actions[0] // 2
    lever = actions[1]
    rewards = np.zeros(2)
    if not self._solved:
      door_open = lever == 1
      rewards[0] = DOOR_REWARD if (door_open and move == 1) else MOVE_COST
      rewards[1] = MOVE_COST if lever != self._positions[1] else 0.0
      if give:
        rewards += (-self._give_value, self._give_value)
        self._given += self._give_value
      self._solved = bool(door_open and move == 1)
      self._events["solved"] += self._solved
    self._events["door"][0] += move == 1
    self._events["lever"][1] += lever == 1
    self._events["give"][0] += give
    self._positions = np.array([move, lever])
    return rewards, False
