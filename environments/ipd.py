"""Memory-1 Iterated Prisoner's Dilemma (thesis §5.3.1, Table 5.1).

Two agents play the one-shot Prisoner's Dilemma every step; action 0 =
cooperate (C), 1 = defect (D). Rewards (agent 0, agent 1): CC (-1, -1),
CD (-3, 0), DC (0, -3), DD (-2, -2). Both agents observe the same 5-dim
one-hot of the previous joint action, index ``2 a_0 + a_1`` (CC, CD, DC, DD),
and index 4 at the first step. Episodes last ``max_steps`` steps (5 in the
thesis' LIO experiments; LOLA used 150), ending as a termination because the
game has that fixed length. With ``with_state`` the same one-hot is also
given as the global state.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from tf_agents.specs import array_spec

from environments import base

COOPERATE, DEFECT = 0, 1
START_INDEX = 4
OBS_SIZE = 5
# PAYOFF[a_0, a_1] = (r_0, r_1).
PAYOFF = np.array([[[-1.0, -1.0], [-3.0, 0.0]],
                   [[0.0, -3.0], [-2.0, -2.0]]], np.float32)
OUTCOMES = ("CC", "CD", "DC", "DD")


class IteratedPrisonersDilemma(base.MultiAgentPyEnvironment):
  """Two-player memory-1 IPD with a vector reward."""

  def __init__(self, max_steps: int = 5, with_state: bool = False,
               seed: Optional[int] = None):
    super().__init__(2, max_steps, seed=seed, terminal_time_limit=True,
                     has_state=with_state)
    self._last = START_INDEX
    self._eye = np.eye(OBS_SIZE, dtype=np.float32)

  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    return array_spec.BoundedArraySpec((OBS_SIZE,), np.float32, 0.0, 1.0,
                                       name=self.agent_ids[index])

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec((), np.int32, 0, 1,
                                       name=self.agent_ids[index])

  def _state_spec(self) -> array_spec.ArraySpec:
    return self._agent_observation_spec(0).replace(name="state")

  def _reset_state(self) -> base.Events:
    self._last = START_INDEX
    return {"cooperate": np.zeros(2, np.int64),
            "outcomes": np.zeros(len(OUTCOMES), np.int64)}

  def _observe(self) -> Dict[str, np.ndarray]:
    one_hot = self._eye[self._last]
    obs = {a: one_hot for a in self.agent_ids}
    if self.has_state:
      obs[base.STATE_KEY] = one_hot
    return obs

  def _transition(self, actions: np.ndarray) -> tuple:
    self._last = int(2 * actions[0] + actions[1])
    self._events["cooperate"] += actions == COOPERATE
    self._events["outcomes"][self._last] += 1
    return PAYOFF[actions[0], actions[1]], False

  def render(self, mode: str = "rgb_array") -> np.ndarray:
    """The 2x2 payoff grid with the last outcome highlighted."""
    if mode != "rgb_array":
      raise ValueError(f"only rgb_array rendering, got {mode!r}")
    image = np.full((32, 32, 3), 255, np.uint8)
    image[16, :] = image[:, 16] = 0
    if self._last != START_INDEX:
      row, col = divmod(self._last, 2)
      image[row * 16 + 2:row * 16 + 15, col * 16 + 2:col * 16 + 15] = (
          (60, 180, 75) if self._last == 0 else (230, 25, 75))
    return image
