"""Base class for multi-agent environments on the TF-Agents `PyEnvironment` API.

Every mmagents environment follows one contract so that any agent and any
runner can drive any environment:

* observations and actions are dicts keyed by agent id (``agent_0`` ...);
  environments with a global state for centralized training add it to the
  observation dict under the key ``"state"``;
* the reward is a float32 vector of shape ``(num_agents,)``;
* the base class handles auto-reset, so TF-Agents drivers can run it forever;
* ``seed()`` makes every random choice of the environment reproducible;
* ``get_info()`` is a side channel of per-episode event counters (lever pulls,
  cooperations, ...) for analysis; the counters of the last finished episode
  stay readable through ``last_episode_events``.

Subclasses implement four small hooks: ``_agent_observation_spec``,
``_agent_action_spec``, ``_reset_state``, ``_observe`` and ``_transition``.
"""

from __future__ import annotations

import abc
from typing import Dict, Mapping, Optional, Sequence

import numpy as np
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

STATE_KEY = "state"
# Finished-episode event counters kept until popped (bounds memory).
_MAX_EVENT_LOG = 10_000

Events = Dict[str, np.ndarray]


def agent_names(num_agents: int) -> tuple:
  """The canonical agent ids, ``agent_0`` ... ``agent_{n-1}``."""
  return tuple(f"agent_{i}" for i in range(num_agents))


class MultiAgentPyEnvironment(py_environment.PyEnvironment, abc.ABC):
  """A TF-Agents `PyEnvironment` with per-agent dict specs and a vector reward.

  Attributes:
    agent_ids: agent ids in index order; reward entry ``i`` belongs to
      ``agent_ids[i]``.
  """

  def __init__(self,
               num_agents: int,
               max_steps: int,
               seed: Optional[int] = None,
               terminal_time_limit: bool = False,
               has_state: bool = False):
    """Initializes the shared bookkeeping.

    Args:
      num_agents: number of agents.
      max_steps: episode length limit.
      seed: seed of the environment's random generator.
      terminal_time_limit: if True the time limit ends the episode as a
        termination (discount 0, as in games whose length is part of the
        rules); otherwise as a truncation (discount kept, so values bootstrap).
      has_state: whether observations carry a global ``"state"`` entry.
    """
    if num_agents < 1:
      raise ValueError(f"num_agents must be >= 1, got {num_agents}")
    if max_steps < 1:
      raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    super().__init__(handle_auto_reset=True)
    self.agent_ids = agent_names(num_agents)
    self._max_steps = int(max_steps)
    self._terminal_time_limit = terminal_time_limit
    self._has_state = has_state
    self._rng = np.random.default_rng(seed)
    self._step_count = 0
    self._events: Events = {}
    self.last_episode_events: Events = {}
    self._finished_events: list = []

  # ---------------------------------------------------------------- contract
  @property
  def num_agents(self) -> int:
    return len(self.agent_ids)

  @property
  def max_steps(self) -> int:
    return self._max_steps

  @property
  def has_state(self) -> bool:
    return self._has_state

  @property
  def one_per_process(self) -> bool:
    """Whether a process can hold only one such environment (libsumo), so
    a batch must not step a training copy in the caller's process."""
    return False

  def observation_spec(self) -> Dict[str, array_spec.ArraySpec]:
    specs = {a: self._agent_observation_spec(i)
             for i, a in enumerate(self.agent_ids)}
    if self._has_state:
      specs[STATE_KEY] = self._state_spec()
    return specs

  def action_spec(self) -> Dict[str, array_spec.BoundedArraySpec]:
    return {a: self._agent_action_spec(i) for i, a in enumerate(self.agent_ids)}

  def reward_spec(self) -> array_spec.ArraySpec:
    return array_spec.ArraySpec((self.num_agents,), np.float32, name="reward")

  def seed(self, seed: Optional[int]) -> None:
    self._rng = np.random.default_rng(seed)

  def get_info(self) -> Events:
    """Event counters of the current episode (copies)."""
    return {k: np.array(v) for k, v in self._events.items()}

  def pop_finished_events(self) -> list:
    """Event counters of the episodes finished since the last call."""
    finished, self._finished_events = self._finished_events, []
    return finished

  def get_rng_state(self) -> dict:
    """The generator state, JSON-serializable, for exact resume."""
    return self._rng.bit_generator.state

  def set_rng_state(self, state: dict) -> None:
    self._rng.bit_generator.state = state

  # ------------------------------------------------------------------ hooks
  @abc.abstractmethod
  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    """Observation spec of agent ``index``."""

  @abc.abstractmethod
  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    """Action spec of agent ``index``."""

  def _state_spec(self) -> array_spec.ArraySpec:
    raise NotImplementedError("has_state=True needs _state_spec().")

  @abc.abstractmethod
  def _reset_state(self) -> Events:
    """Starts a new episode; returns zeroed event counters."""

  @abc.abstractmethod
  def _observe(self) -> Dict[str, np.ndarray]:
    """Observations of the current state, keyed like `observation_spec()`."""

  @abc.abstractmethod
  def _transition(self, actions: np.ndarray) -> tuple:
    """Applies joint `actions` (int array, agent order).

    Returns:
      ``(rewards, terminated)`` or ``(rewards, terminated, truncated)``: a
      float array ``(num_agents,)`` and bools; ``truncated`` ends the episode
      early without terminating it (a wrapped environment's own time limit).
      The hook updates ``self._events`` itself.
    """

  # ------------------------------------------------------------- machinery
  def should_reset(self, current_time_step: ts.TimeStep) -> bool:
    """TF-Agents' auto-reset test without `TimeStep.is_last`, whose
    ``tf.is_tensor`` check costs a third of a small game's step; our step
    types are numpy scalars."""
    return (self._handle_auto_reset
            and current_time_step.step_type == ts.StepType.LAST)

  def _reset(self) -> ts.TimeStep:
    self._step_count = 0
    self._events = self._reset_state()
    return ts.restart(self._observe(), reward_spec=self.reward_spec())

  def _step(self, action: Mapping[str, np.ndarray]) -> ts.TimeStep:
    joint = np.fromiter((action[a] for a in self.agent_ids), dtype=np.int64,
                        count=self.num_agents)
    rewards, terminated, *truncated = self._transition(joint)
    self._step_count += 1
    rewards = np.asarray(rewards, dtype=np.float32)
    observation = self._observe()
    timed_out = self._step_count >= self._max_steps or any(truncated)
    if not (terminated or timed_out):
      return _time_step(ts.StepType.MID, rewards, 1.0, observation)
    self.last_episode_events = self.get_info()
    if len(self._finished_events) < _MAX_EVENT_LOG:
      self._finished_events.append(self.last_episode_events)
    ends = terminated or self._terminal_time_limit
    return _time_step(ts.StepType.LAST, rewards, 0.0 if ends else 1.0,
                      observation)

  def _one_hot(self, index: int, size: int) -> np.ndarray:
    out = np.zeros(size, np.float32)
    out[index] = 1.0
    return out


class EnvironmentWrapper(MultiAgentPyEnvironment, abc.ABC):
  """A `MultiAgentPyEnvironment` built on another one, ``self.env``, whose
  seeding, generator state, rendering and closing are the wrapped one's.

  Subclasses set ``self.env`` and drive it through its public `reset` and
  `step`, so its episode ends are theirs (`inner_episode_end`).
  """

  env: MultiAgentPyEnvironment

  def seed(self, seed: Optional[int]) -> None:
    self.env.seed(seed)

  def get_rng_state(self) -> dict:
    return self.env.get_rng_state()

  def set_rng_state(self, state: dict) -> None:
    self.env.set_rng_state(state)

  def render(self, mode: str = "rgb_array") -> np.ndarray:
    return self.env.render(mode)

  def close(self) -> None:
    self.env.close()


def discrete_actions(env: MultiAgentPyEnvironment, purpose: str) -> tuple:
  """``(minimum [N], count [N], dtypes)`` of `env`'s per-agent actions.

  Raises:
    ValueError: an action that is not a scalar bounded integer; the message
      starts with `purpose` ("giving needs ...").
  """
  specs = env.action_spec()
  minimum = np.empty(env.num_agents, np.int64)
  count = np.empty(env.num_agents, np.int64)
  for i, agent in enumerate(env.agent_ids):
    spec = specs[agent]
    if (spec.shape != () or not np.issubdtype(spec.dtype, np.integer)
        or not isinstance(spec, array_spec.BoundedArraySpec)):
      raise ValueError(f"{agent}: {purpose} needs scalar bounded int "
                       f"actions, got {spec}")
    minimum[i] = int(spec.minimum)
    count[i] = int(spec.maximum) - int(spec.minimum) + 1
  return minimum, count, [specs[a].dtype for a in env.agent_ids]


def inner_episode_end(step: ts.TimeStep) -> tuple:
  """``(terminated, truncated)`` of a wrapped environment's time step, for
  a wrapper's `_transition` to return."""
  ended = step.step_type == ts.StepType.LAST
  terminated = bool(ended and float(step.discount) == 0.0)
  return terminated, bool(ended and not terminated)


def _time_step(step_type: int, rewards: np.ndarray, discount: float,
               observation) -> ts.TimeStep:
  """A time step built directly (`ts.transition` spends more than a step
  of a small game on structure checks)."""
  return ts.TimeStep(np.asarray(step_type, np.int32), rewards,
                     np.asarray(discount, np.float32), observation)


def validate_joint_action(env: MultiAgentPyEnvironment,
                          actions: Sequence[int]) -> None:
  """Raises ValueError if `actions` is not a legal joint action of `env`."""
  specs = env.action_spec()
  if len(actions) != env.num_agents:
    raise ValueError(f"expected {env.num_agents} actions, got {len(actions)}")
  for agent_id, a in zip(env.agent_ids, actions):
    spec = specs[agent_id]
    if not spec.minimum <= a <= spec.maximum:
      raise ValueError(f"{agent_id}: action {a} outside "
                       f"[{spec.minimum}, {spec.maximum}]")
