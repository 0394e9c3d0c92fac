"""What the cost benchmarks share: a quiet runner and a best-of timer."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from typing import Any, Callable, Dict, Optional


def make_runner(method: str, env_name: str, env_kwargs: Dict[str, Any],
                config: Optional[Any] = None):
  """A runner for registry `method` (default config unless given) on
  registry `env_name`; it writes only to a temporary directory, removed
  when the process exits."""
  from environments import registry as env_registry  # pylint: disable=g-import-not-at-top
  from mmagents.agents import registry as method_registry  # pylint: disable=g-import-not-at-top
  from mmagents.core import runner  # pylint: disable=g-import-not-at-top
  spec = method_registry.get(method)
  config = spec.config_cls() if config is None else config

  def make_env(seed):
    return env_registry.make(env_name, seed=seed, **env_kwargs)

  def make_agent(tf_env, py_env):
    return spec.agent_cls(tf_env.time_step_spec(), tf_env.action_spec(),
                          py_env.agent_ids, config=config, seed=0)

  root_dir = tempfile.mkdtemp(prefix=f"bench_{method}_")
  atexit.register(shutil.rmtree, root_dir, ignore_errors=True)
  run_config = runner.RunConfig(root_dir=root_dir, num_episodes=1,
                                eval_interval=1, num_eval_episodes=1,
                                verbose=False)
  return runner.Runner(f"bench_{method}", make_env, make_agent, run_config,
                       {"method": method})


def best_seconds(fn: Callable[[], Any], calls: int, repeats: int) -> float:
  """Seconds per call of `fn`: the best of `repeats` means over `calls`
  calls, after one call that traces it."""
  fn()
  best = float("inf")
  for _ in range(repeats):
    start = time.perf_counter()
    for _ in range(calls):
      fn()
    best = min(best, (time.perf_counter() - start) / calls)
  return best


def random_steps_per_s(env, num_actions: int, steps: int,
                       seed: int = 0) -> float:
  """CPU-time steps/s of `env` stepped with uniformly random joint actions
  (drawn beforehand, so only the environment is timed)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)
  columns = rng.integers(0, num_actions,
                         (steps, env.num_agents)).astype(np.int32)
  actions = [dict(zip(env.agent_ids, row)) for row in columns]
  env.reset()
  start = time.process_time()
  for action in actions:
    env.step(action)
  return steps / (time.process_time() - start)
