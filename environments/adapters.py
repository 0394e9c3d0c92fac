"""Adapters between our environment contract and PettingZoo / gymnasium.

* `PettingZooParallelEnv`: any `MultiAgentPyEnvironment` as a PettingZoo
  `ParallelEnv` (passes `pettingzoo.test.parallel_api_test` and
  `parallel_seed_test`), for tools and baselines that speak PettingZoo.
* `FromPettingZoo`: a PettingZoo `ParallelEnv` with Discrete action spaces as
  a `MultiAgentPyEnvironment`, so our agents and runner can train on it; and
  `from_gymnasium` for a single-agent gymnasium environment.

Spaces map as follows. Our scalar bounded int specs are `Discrete` and every
other spec a `Box`; the other way, `Discrete` actions become scalar int64
specs counted from 0, `Discrete` observations one-hot float32 vectors (our
observations are float32 arrays) and `Box` observations float32 specs.

Our agent ids are ``agent_0 ... agent_{N-1}``; `FromPettingZoo` maps them to
the wrapped environment's `possible_agents` in order (``source_agents``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import gymnasium
import numpy as np
from pettingzoo.utils import env as pz_env
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec

from environments import base

RENDER_MODE = "rgb_array"


def spec_to_space(spec: array_spec.ArraySpec) -> gymnasium.Space:
  """Gymnasium space of an array spec (scalar bounded ints are Discrete)."""
  dtype = np.dtype(spec.dtype)
  bounded = isinstance(spec, array_spec.BoundedArraySpec)
  if np.issubdtype(dtype, np.integer) and spec.shape == () and bounded:
    low, high = int(spec.minimum), int(spec.maximum)
    return gymnasium.spaces.Discrete(high - low + 1, start=low)
  low = spec.minimum if bounded else -np.inf
  high = spec.maximum if bounded else np.inf
  return gymnasium.spaces.Box(
      np.broadcast_to(low, spec.shape).astype(dtype),
      np.broadcast_to(high, spec.shape).astype(dtype), spec.shape, dtype)


def space_to_spec(space: gymnasium.Space, name: str) -> array_spec.ArraySpec:
  """Observation spec of a Box or Discrete space (Discrete one-hot)."""
  if isinstance(space, gymnasium.spaces.Discrete):
    return array_spec.BoundedArraySpec((int(space.n),), np.float32, 0.0, 1.0,
                                       name=name)
  if isinstance(space, gymnasium.spaces.Box):
    low = space.low.astype(np.float32)
    high = space.high.astype(np.float32)
    if np.all(np.isfinite(low)) and np.all(np.isfinite(high)):
      return array_spec.BoundedArraySpec(space.shape, np.float32, low, high,
                                         name=name)
    # Sampling needs finite bounds, so (partly) unbounded boxes are unbounded.
    return array_spec.ArraySpec(space.shape, np.float32, name=name)
  raise ValueError(f"{name}: unsupported space {space}; use Box or Discrete")


def _encode(space: gymnasium.Space, value: Any) -> np.ndarray:
  """A source observation as the float32 array `space_to_spec` describes."""
  if isinstance(space, gymnasium.spaces.Discrete):
    out = np.zeros(int(space.n), np.float32)
    out[int(value) - int(space.start)] = 1.0
    return out
  return np.asarray(value, np.float32).reshape(space.shape)


def _renders(env: py_environment.PyEnvironment) -> bool:
  """Whether `env` overrides `PyEnvironment.render` (which only raises)."""
  return type(env).render is not py_environment.PyEnvironment.render


class PettingZooParallelEnv(pz_env.ParallelEnv):
  """A `MultiAgentPyEnvironment` behind PettingZoo's parallel API.

  The episode ends (``agents`` empties) on the wrapped environment's LAST
  step: discount 0 is a termination, any other discount a truncation. Then
  `step` raises until `reset`, so our environment's auto-reset never runs
  behind PettingZoo's back. `reset(seed=s)` calls ``env.seed(s)``.
  """

  def __init__(self, env: base.MultiAgentPyEnvironment,
               render_mode: Optional[str] = None):
    """Wraps `env`; `render_mode` is None or "rgb_array" (if `env` renders)."""
    self.env = env
    modes = [RENDER_MODE] if _renders(env) else []
    if render_mode is not None and render_mode not in modes:
      raise ValueError(f"render_mode {render_mode!r} not in {modes}")
    self.render_mode = render_mode
    self.metadata = {"name": type(env).__name__, "render_modes": modes,
                     "is_parallelizable": True}
    self.possible_agents = list(env.agent_ids)
    self.agents = []
    obs_spec, act_spec = env.observation_spec(), env.action_spec()
    # Built once: the API test wants the same space object on every call.
    self._obs_spaces = {a: spec_to_space(obs_spec[a])
                        for a in self.possible_agents}
    self._act_spaces = {a: spec_to_space(act_spec[a])
                        for a in self.possible_agents}
    self._act_dtypes = {a: act_spec[a].dtype for a in self.possible_agents}
    if env.has_state:
      self.state_space = spec_to_space(obs_spec[base.STATE_KEY])
    self._observation: Dict[str, np.ndarray] = {}

  def observation_space(self, agent: str) -> gymnasium.Space:
    return self._obs_spaces[agent]

  def action_space(self, agent: str) -> gymnasium.Space:
    return self._act_spaces[agent]

  def reset(self, seed: Optional[int] = None,
            options: Optional[dict] = None) -> Tuple[dict, dict]:
    del options  # Our environments take none.
    if seed is not None:
      self.env.seed(seed)
    first = self.env.reset()
    self.agents = list(self.possible_agents)
    self._observation = first.observation
    return self._agent_obs(), {a: {} for a in self.agents}

  def step(self, actions: Dict[str, Any]) -> Tuple[dict, dict, dict, dict,
                                                   dict]:
    if not self.agents:
      raise RuntimeError("step() without a live episode: call reset()")
    missing = [a for a in self.agents if a not in actions]
    if missing:
      raise KeyError(f"no actions for {missing}")
    joint = {a: np.asarray(actions[a], self._act_dtypes[a])
             for a in self.possible_agents}
    step = self.env.step(joint)
    self._observation = step.observation
    done = bool(step.is_last())
    terminated = done and float(step.discount) == 0.0
    rewards = {a: float(step.reward[i]) for i, a in enumerate(self.agents)}
    terminations = {a: terminated for a in self.agents}
    truncations = {a: done and not terminated for a in self.agents}
    infos = {a: {} for a in self.agents}
    if done:
      self.agents = []
    return self._agent_obs(), rewards, terminations, truncations, infos

  def state(self) -> np.ndarray:
    if not self.env.has_state:
      raise NotImplementedError(f"{type(self.env).__name__} has no state")
    return np.array(self._observation[base.STATE_KEY])

  def render(self) -> Optional[np.ndarray]:
    """An RGB frame, or None (with a warning) when `render_mode` is None."""
    if self.render_mode is None:
      gymnasium.logger.warn("render() without a render_mode returns None")
      return None
    return self.env.render(self.render_mode)

  def close(self) -> None:
    self.env.close()

  def _agent_obs(self) -> Dict[str, np.ndarray]:
    # Copies: environments may return views of their internal buffers.
    return {a: np.array(self._observation[a]) for a in self.possible_agents}


# The name of the first version of this module.
ToPettingZoo = PettingZooParallelEnv


class FromPettingZoo(base.MultiAgentPyEnvironment):
  """A PettingZoo `ParallelEnv` (Discrete actions) under our contract.

  When all live agents terminate the episode ends as a termination
  (discount 0); a truncation of any agent, all agents leaving, or reaching
  ``max_steps`` ends it as a truncation, which keeps the discount so values
  bootstrap. Auto-reset is on, as in every `MultiAgentPyEnvironment`.

  Every reset reseeds the source with ``reset(seed=...)``, a seed drawn from
  our generator, so `seed()` and `get_rng_state()` / `set_rng_state()` make
  episodes reproducible and resumable at episode boundaries.

  Our contract wants every agent in every step. Agents should therefore stay
  alive for the whole episode; one that leaves early gets zero observations
  and rewards until the episode ends, its actions are dropped, and its
  termination is not seen by value targets (the episode may still end as a
  truncation).
  """

  def __init__(self, parallel_env: pz_env.ParallelEnv, max_steps: int,
               seed: Optional[int] = None):
    """Wraps `parallel_env`, cutting episodes at `max_steps` steps."""
    self.source = parallel_env
    self.source_agents = list(parallel_env.possible_agents)
    super().__init__(len(self.source_agents), max_steps, seed=seed,
                     has_state=hasattr(parallel_env, "state_space"))
    self._obs_spaces = [parallel_env.observation_space(a)
                        for a in self.source_agents]
    self._act_spaces = [parallel_env.action_space(a)
                        for a in self.source_agents]
    for agent, space in zip(self.source_agents, self._act_spaces):
      if not isinstance(space, gymnasium.spaces.Discrete):
        raise ValueError(f"{agent}: only Discrete action spaces, got {space}")
    self._obs_specs = [space_to_spec(s, a)
                       for s, a in zip(self._obs_spaces, self.agent_ids)]
    self._source_obs: Dict[str, Any] = {}
    self._live: list = []

  def _agent_observation_spec(self, index: int) -> array_spec.ArraySpec:
    return self._obs_specs[index]

  def _agent_action_spec(self, index: int) -> array_spec.BoundedArraySpec:
    return array_spec.BoundedArraySpec(
        (), np.int64, 0, int(self._act_spaces[index].n) - 1,
        name=self.agent_ids[index])

  def _state_spec(self) -> array_spec.ArraySpec:
    return space_to_spec(self.source.state_space, base.STATE_KEY)

  def _reset_state(self) -> base.Events:
    seed = int(self._rng.integers(2**31 - 1))
    self._source_obs, _ = self.source.reset(seed=seed)
    self._live = list(self.source.agents)
    return {"episode_return": np.zeros(self.num_agents, np.float32)}

  def _observe(self) -> Dict[str, np.ndarray]:
    obs = {}
    for i, name in enumerate(self.source_agents):
      obs[self.agent_ids[i]] = (
          _encode(self._obs_spaces[i], self._source_obs[name])
          if name in self._source_obs else
          np.zeros(self._obs_specs[i].shape, np.float32))
    if self.has_state:
      obs[base.STATE_KEY] = _encode(self.source.state_space,
                                    self.source.state())
    return obs

  def _transition(self, actions: np.ndarray) -> tuple:
    joint = {name: int(actions[i]) + int(self._act_spaces[i].start)
             for i, name in enumerate(self.source_agents)
             if name in self._live}
    self._source_obs, rewards, terms, truncs, _ = self.source.step(joint)
    reward = np.array([rewards.get(a, 0.0) for a in self.source_agents],
                      np.float32)
    self._events["episode_return"] += reward
    terminated = all(terms.get(a, False) for a in self._live)
    truncated = any(truncs.get(a, False) for a in self._live)
    self._live = [a for a in self._live
                  if not (terms.get(a, False) or truncs.get(a, False))]
    truncated = (truncated or not self._live) and not terminated
    return reward, terminated, truncated


class _SingleAgentParallel(pz_env.ParallelEnv):
  """A gymnasium environment seen as a one-agent PettingZoo environment."""

  def __init__(self, env: gymnasium.Env):
    self.env = env
    self.possible_agents = ["agent_0"]
    self.agents = []
    self.metadata = dict(getattr(env, "metadata", {}))

  def observation_space(self, agent: str) -> gymnasium.Space:
    del agent
    return self.env.observation_space

  def action_space(self, agent: str) -> gymnasium.Space:
    del agent
    return self.env.action_space

  def reset(self, seed=None, options=None):
    obs, info = self.env.reset(seed=seed, options=options)
    self.agents = ["agent_0"]
    return {"agent_0": obs}, {"agent_0": info}

  def step(self, actions):
    obs, reward, terminated, truncated, info = self.env.step(
        actions["agent_0"])
    if terminated or truncated:
      self.agents = []
    return ({"agent_0": obs}, {"agent_0": reward},
            {"agent_0": terminated}, {"agent_0": truncated}, {"agent_0": info})

  def close(self):
    self.env.close()


def from_gymnasium(env: gymnasium.Env, max_steps: int,
                   seed: Optional[int] = None) -> FromPettingZoo:
  """A single-agent gymnasium environment (Discrete actions) as ours."""
  return FromPettingZoo(_SingleAgentParallel(env), max_steps, seed=seed)
