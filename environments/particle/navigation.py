"""Cooperative navigation with MPE physics: CM3's multi-goal variants.

N agents (discs of radius 0.15) move in an unbounded plane under MPE physics
(`physics`); agent ``i``'s goal is landmark ``i`` (landmarks do not collide
and never move). Scenarios (thesis App. A.7.1, CM3 ``multi-goal_spread.py``):

* ``"antipodal"`` (4 agents): agents start in the corners and go to the
  opposite corner;
* ``"cross"`` (``"intersection"``, 4 agents): two pairs cross the centre;
* ``"merge"`` (2 agents): both go from left to right and swap lanes;
* ``"stage1"``: the induced single-agent MDP of CM3's Stage 1 (N = 1,
  agent and landmark uniform in (-1, 1)^2);
* ``"spread"``: ``num_agents`` agents (default 3), every start uniform (the
  like-for-like counterpart of MPE's ``simple_spread``, for benchmarks).

Start: with probability ``prob_random`` (0.2 in the games, 1.0 in stage1)
agents and landmarks are uniform in (-1, 1)^2 (agents drawn first); else the
predefined positions, plus N(0, ``initial_std``) on the agents (0 for
antipodal and cross, 0.05 for merge). Velocities start at 0.

Actions (5, CM3's integer action input): 0 no-op, 1 u_x = -1, 2 u_x = +1,
3 u_y = -1, 4 u_y = +1, times sensitivity 5 as a force. CONFLICT: MPE's
default one-hot action input reads index 1 as +x and 2 as -x (3 +y, 4 -y);
CM3 sets ``discrete_action_input=True`` and we follow CM3.

Reward (one entry per agent, individual as in CM3's ``collaborative=False``):
``-||p_i - landmark_i||`` minus 1 for every OTHER agent whose disc overlaps
agent i's (distance < sum of radii). CONFLICT: MPE's ``simple_spread`` also
counts the agent itself (a constant -1) and shares the sum; CM3 does not.

Reached and termination: agent i has reached when within ``reach_threshold``
(0.05) of its landmark, tested as ``<=`` like CM3's code (the thesis says
"less than"). The episode terminates (discount 0) when all agents have
reached at the same step; the time limit ``max_steps`` is a truncation
(discount 1). Default 50 steps (25 for stage1), thesis Table A.3; CM3's repo
config uses 33. CHOICE: as in CM3's code, where "done" is only a per-agent
flag and MPE keeps simulating every agent, reached agents keep moving, keep
being rewarded and may leave the landmark again. With
``freeze_reached=True`` an agent that reaches is out of the episode instead:
it stays where it is as an immovable obstacle, its actions are ignored, its
rewards are 0 from the next step on, and the episode ends once all have
reached (not necessarily at the same step).

Observation of agent i (float32, `MultiGoalParts` order, see
`environments.multigoal`): ``o_self = [vel_i, pos_i]`` (4), ``goal =
landmark_i`` (2, absolute position), ``o_others`` = for every other agent j
in index order ``[vel_j - vel_i, pos_j - pos_i]`` (4 each; none in stage1).
Global state ``observation["state"]`` = ``[vel_j, pos_j]`` for every agent
(no environment part). CONFLICT: the thesis lists position before velocity;
CM3's code and MPE put velocity first, and so do we.

Event counters per episode (`get_info`, ``last_episode_events``):
``collisions`` (per agent, the collision penalties it got), ``reached`` (per
agent, 1 if within the threshold at the last step; frozen agents count as
reached), ``steps_to_reach`` (per agent, steps until it first reached, the
episode length if it never did) and ``solved`` (1 if the episode
terminated).

Merge start CONFLICT: the thesis lists agents at (-0.9, -0.2), (-0.9, 0.2)
(each agent goes straight); CM3's code starts them at (-0.9, 0.2),
(-0.9, -0.2) so that they must swap lanes. We follow the code. The thesis'
lists for antipodal and intersection are truncated; the code's are used.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional, Tuple

import numpy as np
from tf_agents.specs import array_spec

from environments import base
from environments import multigoal
from environments.particle import physics

AGENT_SIZE = 0.15
LANDMARK_SIZE = 0.05  # MPE's default; landmarks never collide, so only drawn.
REACH_THRESHOLD = 0.05
NUM_ACTIONS = 5
# CM3's integer action input: row = action, columns = (u_x, u_y).
ACTION_DIRECTIONS = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]],
                             np.float64)
SELF_SIZE, GOAL_SIZE, OTHER_SIZE = 4, 2, 4
_COLORS = np.array([[230, 25, 75], [60, 180, 75], [0, 130, 200],
                    [245, 130, 48], [145, 30, 180], [70, 240, 240]], np.uint8)


@dataclasses.dataclass(frozen=True)
class Scenario:
  """Predefined start: agent and landmark positions ``[N, 2]``."""
  agents: Tuple[Tuple[float, float], ...]
  landmarks: Tuple[Tuple[float, float], ...]
  initial_std: float = 0.0
  prob_random: float = 0.2
  max_steps: int = 50


SCENARIOS: Dict[str, Scenario] = {
    "antipodal": Scenario(
        agents=((-0.9, -0.9), (0.9, 0.9), (-0.9, 0.9), (0.9, -0.9)),
        landmarks=((0.9, 0.9), (-0.9, -0.9), (0.9, -0.9), (-0.9, 0.9))),
    "cross": Scenario(
        agents=((-0.9, -0.15), (0.9, 0.15), (0.15, -0.9), (-0.15, 0.9)),
        landmarks=((0.9, -0.15), (-0.9, 0.15), (0.15, 0.9), (-0.15, -0.9))),
    "merge": Scenario(
        agents=((-0.9, 0.2), (-0.9, -0.2)),
        landmarks=((0.9, -0.2), (0.9, 0.2)), initial_std=0.05),
    "stage1": Scenario(agents=((-1.0, -1.0),), landmarks=((1.0, 1.0),),
                       prob_random=1.0, max_steps=25),
}
_ALIASES = {"intersection": "cross"}
SPREAD = "spread"


def _positions(points: Tuple[Tuple[float, float], ...], n: int
               ) -> np.ndarray:
  """``[n, 2]`` array of `points` (zeros if there are none)."""
  return np.array(points, np.float64).reshape(n, 2) if points else np.zeros(
      (n, 2))


def scenario_names() -> list:
  return sorted(list(SCENARIOS) + list(_ALIASES) + [SPREAD])


class CooperativeNavigation(base.MultiAgentPyEnvironment):
  """CM3's cooperative navigation (see the module docstring)."""

  def __init__(self,
               scenario: str = "antipodal",
               max_steps: Optional[int] = None,
               prob_random: Optional[float] = None,
               initial_std: Optional[float] = None,
               num_agents: Optional[int] = None,
               freeze_reached: bool = False,
               reach_threshold: float = REACH_THRESHOLD,
               seed: Optional[int] = None,
               params: physics.PhysicsParams = physics.PhysicsParams()):
    """Builds one scenario.

    Args:
      scenario: one of `scenario_names()`.
      max_steps: time limit (truncation); default 50, stage1 25.
      prob_random: chance of a uniform random start; default 0.2, stage1 and
        spread 1.0 (spread has no predefined start).
      initial_std: std of the Gaussian noise on predefined agent starts.
      num_agents: only for "spread" (default 3).
      freeze_reached: take agents out of the episode once they reach.
      reach_threshold: distance to the landmark that counts as reached.
      seed: seed of the environment's generator.
      params: physics constants.
    """
    name = _ALIASES.get(scenario, scenario)
    if name == SPREAD:
      spec = Scenario(agents=(), landmarks=(), prob_random=1.0)
      n = 3 if num_agents is None else int(num_agents)
    elif name in SCENARIOS:
      spec = SCENARIOS[name]
      n = len(spec.agents)
      if num_agents not in (None, n):
        raise ValueError(f"scenario {name!r} has {n} agents, not {num_agents}")
    else:
      raise ValueError(f"unknown scenario {scenario!r}; known: "
                       f"{', '.join(scenario_names())}")
    self.scenario = name
    self._prob_random = spec.prob_random if prob_random is None else float(
        prob_random)
    if not 0.0 <= self._prob_random <= 1.0:
      raise ValueError(f"prob_random must be in [0, 1], got {prob_random}")
    if name == SPREAD and self._prob_random < 1.0:
      raise ValueError("scenario 'spread' has only random starts")
    super().__init__(n, spec.max_steps if max_steps is None else max_steps,
                     seed=seed, terminal_time_limit=False, has_state=True)
    # "spread" has no predefined start (prob_random is 1): zeros stand in.
    self._start_agents = _positions(spec.agents, n)
    self._start_landmarks = _positions(spec.landmarks, n)
    self._initial_std = spec.initial_std if initial_std is None else float(
        initial_std)
    self._freeze_reached = bool(freeze_reached)
    self._reach_threshold = float(reach_threshold)
    self.world = physics.World(
        sizes=[AGENT_SIZE] * n + [LANDMARK_SIZE] * n,
        movable=[True] * n + [False] * n,
        collide=[True] * n + [False] * n, params=params)
    self._action_forces = ACTION_DIRECTIONS * params.sensitivity
    self._forces = np.zeros((2 * n, 2))
    # Row i: the other agents of agent i, in index order.
    self._others = np.array([[j for j in range(n) if j != i]
                             for i in range(n)], np.int64).reshape(n, n - 1)
    self._movable = np.arange(2 * n) < n
    self._goals = np.zeros((n, 2))
    self._ever_reached = np.zeros(n, bool)
    self._out = np.zeros(n, bool)  # Frozen agents (freeze_reached only).

  # ------------------------------------------------------------ layout
  @property
  def multigoal_parts(self) -> multigoal.MultiGoalParts:
    """Sizes of ``[o_self | goal | o_others]`` and ``[s^0 | s^1 ...]``."""
    return multigoal.MultiGoalParts(
        num_agents=self.num_agents, self_size=SELF_SIZE, goal_size=GOAL_SIZE,
        others_size=OTHER_SIZE * (self.num_agents - 1), env_state_size=0,
        agent_state_size=SELF_SIZE)

  @property
  def goals(self) -> np.ndarray:
    """Landmark (goal) positions ``[N, 2]`` of the current episode."""
    return self._goals.copy()

  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    size = SELF_SIZE + GOAL_SIZE + OTHER_SIZE * (self.num_agents - 1)
    return array_spec.ArraySpec((size,), np.float32,
                                name=self.agent_ids[index])

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec((), np.int32, 0, NUM_ACTIONS - 1,
                                       name=self.agent_ids[index])

  def _state_spec(self) -> array_spec.ArraySpec:
    return array_spec.ArraySpec((SELF_SIZE * self.num_agents,), np.float32,
                                name=base.STATE_KEY)

  # ------------------------------------------------------------ dynamics
  def _start_positions(self) -> Tuple[np.ndarray, np.ndarray]:
    """Agent and landmark positions of a new episode."""
    n = self.num_agents
    if self._rng.random() < self._prob_random:
      agents = self._rng.uniform(-1.0, 1.0, (n, 2))
      return agents, self._rng.uniform(-1.0, 1.0, (n, 2))
    agents = self._start_agents.copy()
    if self._initial_std > 0.0:
      agents += self._rng.normal(0.0, self._initial_std, (n, 2))
    return agents, self._start_landmarks.copy()

  def _reset_state(self) -> base.Events:
    n = self.num_agents
    agents, landmarks = self._start_positions()
    self.world.set_state(np.concatenate([agents, landmarks]),
                         movable=self._movable)
    self._goals = landmarks
    self._ever_reached = np.zeros(n, bool)
    self._out = np.zeros(n, bool)
    zeros = np.zeros(n, np.int64)
    return {"collisions": zeros.copy(), "reached": zeros.copy(),
            "steps_to_reach": zeros.copy(), "solved": np.zeros((), np.int64)}

  def set_scene(self, agents, landmarks, velocities=None) -> None:
    """Places agents ``[N, 2]`` (with `velocities`) and landmarks mid-episode.

    For constructed scenes (tests, scripted starts): call after `reset`; the
    episode's step count and event counters go on, frozen agents thaw.
    """
    n = self.num_agents
    vel = np.zeros((2 * n, 2))
    if velocities is not None:
      vel[:n] = np.reshape(velocities, (n, 2))
    self._goals = np.array(landmarks, np.float64).reshape(n, 2)
    self.world.set_state(
        np.concatenate([np.reshape(agents, (n, 2)), self._goals]), vel,
        movable=self._movable)
    self._out = np.zeros(n, bool)

  def _observe(self) -> Dict[str, np.ndarray]:
    n = self.num_agents
    own = np.concatenate([self.world.vel[:n], self.world.pos[:n]], axis=1)
    obs = np.empty((n, SELF_SIZE + GOAL_SIZE + OTHER_SIZE * (n - 1)),
                   np.float32)
    obs[:, :SELF_SIZE] = own
    obs[:, SELF_SIZE:SELF_SIZE + GOAL_SIZE] = self._goals
    if n > 1:
      relative = own[self._others] - own[:, None, :]         # [N, N-1, 4]
      obs[:, SELF_SIZE + GOAL_SIZE:] = relative.reshape(n, -1)
    out = dict(zip(self.agent_ids, obs))
    out[base.STATE_KEY] = own.astype(np.float32).reshape(-1)
    return out

  def _transition(self, actions: np.ndarray) -> tuple:
    n = self.num_agents
    self._forces[:n] = self._action_forces[actions]
    self.world.step(self._forces)
    offset = self.world.pos[:n] - self._goals
    distance = np.hypot(offset[:, 0], offset[:, 1])
    collisions = np.count_nonzero(self.world.overlaps()[:n, :n], axis=1)
    rewards = -distance - collisions
    reached = distance <= self._reach_threshold
    events = self._events
    events["collisions"] += collisions
    events["steps_to_reach"] += ~self._ever_reached
    self._ever_reached |= reached
    if self._freeze_reached:
      rewards[self._out] = 0.0
      self._out |= reached
      self.world.freeze(np.flatnonzero(self._out))
      reached = self._out
    events["reached"][:] = reached
    terminated = bool(reached.all())
    events["solved"] += terminated
    return rewards, terminated

  # ------------------------------------------------------------ drawing
  def render(self, mode: str = "rgb_array") -> np.ndarray:
    if mode != "rgb_array":
      raise ValueError(f"only rgb_array rendering, got {mode!r}")
    return self.render_rgb()

  def render_rgb(self, size: int = 200, extent: float = 1.5) -> np.ndarray:
    """``[size, size, 3]`` uint8 top view of ``[-extent, extent]^2``.

    Landmarks are pale discs, agents full discs of the same colour.
    """
    image = np.full((size, size, 3), 255, np.uint8)
    pixels = (np.arange(size) + 0.5) / size * 2 * extent - extent
    x, y = pixels[None, :], pixels[::-1, None]                # y up.
    n = self.num_agents
    colours = _COLORS[np.arange(n) % len(_COLORS)]
    pale = (255 - (255 - colours.astype(np.int64)) // 3).astype(np.uint8)
    discs = [(self.world.pos[n + i], LANDMARK_SIZE, pale[i]) for i in range(n)]
    discs += [(self.world.pos[i], AGENT_SIZE, colours[i]) for i in range(n)]
    for (cx, cy), radius, colour in discs:
      image[(x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2] = colour
    return image
