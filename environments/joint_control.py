"""One controller for every agent: the fully centralized "Cen" upper bound.

Thesis §5.3.2 and §6.3.2 bound the collective return of a social dilemma by
"a single policy that acts for both agents" and is allowed to maximize the
joint reward. `JointControlEnv` turns any `MultiAgentPyEnvironment` with a
global state into that single-agent problem, so every single- or
multi-agent learner here can train it unchanged:

* one agent, ``agent_0``, observes the wrapped environment's global state
  (for Cleanup and Harvest the full map image, agents in their own
  colours; ``state_key`` picks an entry of a dict state);
* its action is the joint action, a mixed-radix number with agent 0 as the
  most significant digit: ``a = ((a_0 n_1 + a_1) n_2 + a_2) ...`` counted
  from each spec's minimum (36 actions for two Cleanup agents with 6 each);
* its reward is the sum of the wrapped rewards (shape ``(1,)``).

Event counters are the wrapped environment's (per wrapped agent) plus
``agent_returns``, each wrapped agent's return this episode, so social
outcomes (equality, who cleaned) are computed on the wrapped agents.
Episode ends, seeding and generator state are the wrapped environment's.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from tf_agents.specs import array_spec

from environments import base

_RETURNS = "agent_returns"


class JointControlEnv(base.EnvironmentWrapper):
  """`env` as one agent acting jointly for all (see module docstring).

  Attributes:
    env: the wrapped environment.
  """

  def __init__(self, env: base.MultiAgentPyEnvironment,
               state_key: Optional[str] = "image"):
    """Wraps `env`.

    Args:
      env: a `MultiAgentPyEnvironment` with a global state (``has_state``)
        and scalar bounded integer actions.
      state_key: the entry of a dict state the controller observes (None:
        the state itself, which must then be an array).

    Raises:
      ValueError: no global state, a bad `state_key`, or non-discrete
        actions.
    """
    if not env.has_state:
      raise ValueError("joint control observes the global state; build the "
                       "wrapped environment with its state (with_state=True)")
    state_spec = env.observation_spec()[base.STATE_KEY]
    if isinstance(state_spec, dict):
      if state_key not in state_spec:
        raise ValueError(f"state_key must be one of {sorted(state_spec)}, "
                         f"got {state_key!r}")
      state_spec = state_spec[state_key]
    elif state_key is not None:
      raise ValueError(f"the state is an array; state_key must be None, got "
                       f"{state_key!r}")
    super().__init__(1, env.max_steps)
    self.env = env
    self._state_key = state_key
    self._state_spec_of_env = state_spec
    self._minimum, self._counts, self._dtypes = base.discrete_actions(
        env, "joint control")
    self._returns = np.zeros(env.num_agents)
    self._inner_obs: Dict[str, np.ndarray] = {}
    if hasattr(env, "outcome_metrics"):
      self.outcome_metrics = self._outcome_metrics

  # ---------------------------------------------------------------- specs
  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    return self._state_spec_of_env

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec((), np.int32, 0,
                                       int(np.prod(self._counts)) - 1,
                                       name=self.agent_ids[index])

  # -------------------------------------------------------------- encoding
  def decode(self, action: int) -> np.ndarray:
    """Joint action index → the wrapped agents' actions ``[N]``."""
    digits = np.unravel_index(int(action), tuple(self._counts))
    return np.asarray(digits, np.int64) + self._minimum

  def encode(self, actions) -> int:
    """Inverse of `decode`."""
    return int(np.ravel_multi_index(
        tuple(np.asarray(actions, np.int64) - self._minimum),
        tuple(self._counts)))

  # ----------------------------------------------------------------- hooks
  def _reset_state(self) -> base.Events:
    first = self.env.reset()
    self.env.pop_finished_events()  # Ours are the ones the runner reads.
    self._inner_obs = first.observation
    self._returns[:] = 0.0
    return {}

  def _observe(self) -> Dict[str, np.ndarray]:
    state = self._inner_obs[base.STATE_KEY]
    if self._state_key is not None:
      state = state[self._state_key]
    return {self.agent_ids[0]: state}

  def _transition(self, actions: np.ndarray) -> tuple:
    inner = self.decode(actions[0])
    step = self.env.step({a: np.asarray(inner[i], self._dtypes[i])
                          for i, a in enumerate(self.env.agent_ids)})
    self._inner_obs = step.observation
    rewards = np.asarray(step.reward, np.float64)
    self._returns += rewards
    return ([rewards.sum()], *base.inner_episode_end(step))

  # -------------------------------------------------------- delegation
  def get_info(self) -> base.Events:
    """The wrapped environment's counters of this episode and the wrapped
    agents' returns."""
    info = self.env.get_info()
    info[_RETURNS] = self._returns.copy()
    return info

  def _outcome_metrics(self, returns: np.ndarray, finished_events
                       ) -> Dict[str, Optional[float]]:
    """The wrapped environment's social outcomes, on its agents' returns
    (`returns`, the controller's, are their sums)."""
    del returns
    per_agent = np.array([e[_RETURNS] for e in finished_events])
    return self.env.outcome_metrics(per_agent, finished_events)


def cleanup_joint(**cleanup_kwargs) -> JointControlEnv:
  """Cleanup under one controller that sees the whole map (thesis Cen);
  `cleanup_kwargs` go to `cleanup.make`."""
  from environments.ssd import cleanup  # pylint: disable=g-import-not-at-top
  return JointControlEnv(cleanup.make(**cleanup_kwargs, with_state=True))
