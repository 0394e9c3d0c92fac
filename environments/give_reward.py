"""Discrete "give-reward" actions on any environment: the PG-d baseline.

Thesis §5.3.2 (PG-d) augments each agent's action space to
``A × {no-op, give}^(N-1)``: besides its own action an agent may hand a fixed
reward ``R_a`` (``give_value``, 2.0 in App. B.4.2) to each other agent, and
"giving reward incurs an equivalent cost", so the giver pays ``R_a`` per gift.
The incentive travels through the ordinary action channel, so plain
independent policy gradient can learn to use it.

Action encoding of agent i with ``n_i = |A_i|`` base actions:

  action = base + n_i * Σ_k give_k 2^k,   0 <= action < n_i 2^(N-1)

where ``base`` is the wrapped environment's action (counted from its spec
minimum) and ``give_k`` is 1 iff agent i gives to its k-th *other* agent,
the others taken in index order (agent i itself skipped). For ER(2, 1) with
3 base actions: 0..2 move without giving, 3..5 move and give to the other.

Rewards: wrapped reward + R_a × (gifts received) − R_a × (gifts made).
Observations: the wrapped observation (flattened) followed by the cumulative
reward agent i has given to each other agent this episode (N - 1 floats, in
the same order); with ``observe_given=False`` (image observations, as in
Cleanup) the wrapped observation unchanged. The global ``"state"`` entry, if
any, is passed unchanged.
Event counters: the wrapped environment's, plus ``given`` and ``received``
(reward amounts per agent, episode totals).

The wrapper drives the wrapped environment through its public `reset` and
`step`, so episode ends (termination or truncation, time limits included) are
exactly the wrapped environment's; seeding and generator state are the
wrapped environment's too.
"""

from __future__ import annotations

import math
from typing import Dict, Optional

import numpy as np
from tf_agents.specs import array_spec

from environments import base
from environments import escape_room
from environments import ipd

_OWN_EVENTS = ("given", "received")


class GiveRewardEnv(base.EnvironmentWrapper):
  """`env` with actions ``A_i × {no-op, give}^(N-1)`` (see module docstring).

  Attributes:
    env: the wrapped environment.
    give_value: reward ``R_a`` moved from giver to recipient per gift.
  """

  def __init__(self, env: base.MultiAgentPyEnvironment,
               give_value: float = 2.0, observe_given: bool = True):
    """Wraps `env`.

    Args:
      env: a `MultiAgentPyEnvironment` with at least 2 agents and scalar
        bounded integer actions.
      give_value: ``R_a`` > 0, received by the recipient and paid by the
        giver.
      observe_given: append what each agent gave this episode to its
        (flattened) observation.

    Raises:
      ValueError: bad `give_value`, one agent, or non-discrete actions.
    """
    give_value = float(give_value)
    if not (math.isfinite(give_value) and give_value > 0.0):
      raise ValueError(f"give_value must be a finite number > 0, got "
                       f"{give_value}")
    if env.num_agents < 2:
      raise ValueError(f"giving needs >= 2 agents, got {env.num_agents}")
    # Time limits are left to `env`; its LAST step ends our episode too.
    super().__init__(env.num_agents, env.max_steps, has_state=env.has_state)
    self.env = env
    self.give_value = give_value
    self.observe_given = observe_given
    if hasattr(env, "outcome_metrics"):  # Social outcomes (Cleanup).
      self.outcome_metrics = env.outcome_metrics
    n = env.num_agents
    self._base_min, self._base_count, self._base_dtypes = (
        base.discrete_actions(env, "giving"))
    # others[i, k]: the k-th other agent of agent i; bit k of its give code.
    self._others = np.array([[j for j in range(n) if j != i]
                             for i in range(n)], np.int64)
    self._bit_values = np.left_shift(1, np.arange(n - 1, dtype=np.int64))
    self._rows = np.repeat(np.arange(n), n - 1).reshape(n, n - 1)
    self._given = np.zeros((n, n))  # [giver, recipient], this episode.
    self._inner_obs: Dict[str, np.ndarray] = {}

  # ---------------------------------------------------------------- specs
  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    agent = self.agent_ids[index]
    inner = self.env.observation_spec()[agent]
    if not self.observe_given:
      return inner
    size = int(np.prod(inner.shape)) + self.num_agents - 1
    if not isinstance(inner, array_spec.BoundedArraySpec):
      return array_spec.ArraySpec((size,), np.float32, name=agent)
    extra = self.num_agents - 1
    low = np.concatenate([np.broadcast_to(inner.minimum, inner.shape).ravel(),
                          np.zeros(extra)])
    # At most one gift to each other agent per step.
    high = np.concatenate([np.broadcast_to(inner.maximum, inner.shape).ravel(),
                           np.full(extra, self.give_value * self.max_steps)])
    return array_spec.BoundedArraySpec((size,), np.float32,
                                       low.astype(np.float32),
                                       high.astype(np.float32), name=agent)

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    count = int(self._base_count[index]) << (self.num_agents - 1)
    return array_spec.BoundedArraySpec((), np.int32, 0, count - 1,
                                       name=self.agent_ids[index])

  def _state_spec(self) -> array_spec.ArraySpec:
    return self.env.observation_spec()[base.STATE_KEY]

  # -------------------------------------------------------------- encoding
  def decode(self, actions: np.ndarray) -> tuple:
    """Joint actions ``[N]`` → (base actions ``[N]``, gives ``[N, N-1]``).

    ``gives[i, k]`` is 1 iff agent i gives to its k-th other agent.
    """
    actions = np.asarray(actions, np.int64)
    codes, offsets = np.divmod(actions, self._base_count)
    gives = (codes[:, None] & self._bit_values) > 0
    return offsets + self._base_min, gives.astype(np.int64)

  def encode(self, base_actions, gives) -> np.ndarray:
    """Inverse of `decode`: joint actions ``[N]`` of base actions and gives."""
    base_actions = np.asarray(base_actions, np.int64)
    codes = np.asarray(gives, np.int64) @ self._bit_values
    return base_actions - self._base_min + self._base_count * codes

  # ----------------------------------------------------------------- hooks
  def _reset_state(self) -> base.Events:
    first = self.env.reset()
    self.env.pop_finished_events()  # Ours are the ones the runner reads.
    self._inner_obs = first.observation
    self._given[:] = 0.0
    clash = set(_OWN_EVENTS) & set(self.env.get_info())
    if clash:
      raise ValueError(f"wrapped environment already counts {sorted(clash)}")
    zeros = np.zeros(self.num_agents)
    return {"given": zeros.copy(), "received": zeros.copy()}

  def _observe(self) -> Dict[str, np.ndarray]:
    cumulative = self._given[self._rows, self._others].astype(np.float32)
    obs = {}
    for i, a in enumerate(self.agent_ids):
      if not self.observe_given:
        obs[a] = self._inner_obs[a]
        continue
      own = np.ravel(self._inner_obs[a]).astype(np.float32, copy=False)
      obs[a] = np.concatenate([own, cumulative[i]])
    if self.has_state:
      obs[base.STATE_KEY] = self._inner_obs[base.STATE_KEY]
    return obs

  def _transition(self, actions: np.ndarray) -> tuple:
    base_actions, gives = self.decode(actions)
    step = self.env.step({a: np.asarray(base_actions[i], self._base_dtypes[i])
                          for i, a in enumerate(self.agent_ids)})
    self._inner_obs = step.observation
    gifts = np.zeros((self.num_agents, self.num_agents))
    gifts[self._rows, self._others] = gives * self.give_value
    self._given += gifts
    given, received = gifts.sum(axis=1), gifts.sum(axis=0)
    rewards = np.asarray(step.reward, np.float64) + received - given
    self._events["given"] += given
    self._events["received"] += received
    return (rewards, *base.inner_episode_end(step))

  # -------------------------------------------------------- delegation
  def get_info(self) -> base.Events:
    """The wrapped environment's counters of this episode, plus ours."""
    info = self.env.get_info()
    info.update(super().get_info())
    return info


def escape_room_give(num_agents: int = 2, min_at_lever: int = 1,
                     max_steps: int = 5, random_start: bool = False,
                     with_state: bool = False, give_value: float = 2.0,
                     seed: Optional[int] = None) -> GiveRewardEnv:
  """ER(N, M) with discrete give-reward actions (thesis PG-d)."""
  return GiveRewardEnv(
      escape_room.EscapeRoom(num_agents, min_at_lever, max_steps=max_steps,
                             random_start=random_start,
                             with_state=with_state, seed=seed),
      give_value=give_value)


def ipd_give(max_steps: int = 5, with_state: bool = False,
             give_value: float = 2.0,
             seed: Optional[int] = None) -> GiveRewardEnv:
  """Memory-1 IPD with discrete give-reward actions."""
  return GiveRewardEnv(
      ipd.IteratedPrisonersDilemma(max_steps=max_steps, with_state=with_state,
                                   seed=seed),
      give_value=give_value)


def cleanup_give(give_value: float = 2.0, **cleanup_kwargs) -> GiveRewardEnv:
  """Cleanup with discrete give-reward actions (thesis AC-d); `cleanup_kwargs`
  go to `cleanup.make`. Observations stay images."""
  from environments.ssd import cleanup  # pylint: disable=g-import-not-at-top
  return GiveRewardEnv(cleanup.make(**cleanup_kwargs), give_value=give_value,
                       observe_given=False)
