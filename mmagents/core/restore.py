"""A trained agent back from a run directory, for analysis and recordings.

A run's ``experiment.json`` names the environment, its arguments, the method
and its config; this rebuilds both through the registries and restores the
agent's weights (and policy random state) from the latest checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Callable, Dict, Optional, Tuple

import tensorflow as tf
from tf_agents.environments import tf_py_environment

from mmagents.core import experiment_io


def _config(config_cls, values: dict):
  """`config_cls` from JSON values (lists back to tuples)."""
  fields = {f.name for f in dataclasses.fields(config_cls)}
  unknown = sorted(set(values) - fields)
  if unknown:
    raise experiment_io.UsageError(
        f"the run's config has fields this version lacks: {unknown}")
  return config_cls(**{k: tuple(v) if isinstance(v, list) else v
                       for k, v in values.items()})


def load_agent(root_dir: str, seed: int = 0,
               env_overrides: Optional[Dict[str, Any]] = None
               ) -> Tuple[Any, Callable[[int], Any]]:
  """The agent of the run in `root_dir` at its latest checkpoint.

  Args:
    root_dir: a run directory.
    seed: seed of the environment built to size the agent.
    env_overrides: environment arguments that replace the run's (e.g. a
      test configuration with heavy traffic).

  Returns:
    ``(agent, make_env)``: the restored agent and a factory of the run's
    environment (``make_env(seed)``).

  Raises:
    UsageError: no run, no checkpoint, or a method this version lacks.
  """
  from environments import registry as env_registry  # pylint: disable=g-import-not-at-top
  from mmagents.agents import registry as method_registry  # pylint: disable=g-import-not-at-top
  path = os.path.join(root_dir, "experiment.json")
  if not os.path.exists(path):
    raise experiment_io.UsageError(f"no run in {root_dir} (no experiment.json)")
  with open(path, encoding="utf-8") as f:
    identity = json.load(f)
  latest = tf.train.latest_checkpoint(os.path.join(root_dir, "checkpoints"))
  if latest is None:
    raise experiment_io.UsageError(f"no checkpoint in {root_dir}")
  try:
    method = method_registry.get(identity["method"])
    config = _config(method.config_cls, identity["method_config"])
  except ValueError as e:
    raise experiment_io.UsageError(str(e)) from None
  if getattr(config, "stage1_dir", ""):
    # CM3 Stage 2: the run's own checkpoint replaces the Stage-1 weights.
    config = dataclasses.replace(config, stage1_dir="")
  env_kwargs = dict(identity["env_kwargs"], **(env_overrides or {}))

  def make_env(env_seed: int):
    return env_registry.make(identity["env"], seed=env_seed, **env_kwargs)

  tf_env = tf_py_environment.TFPyEnvironment(make_env(seed))
  py_env = tf_env.pyenv.envs[0]
  parts = {"parts": py_env.multigoal_parts} if method.multigoal else {}
  agent = method.agent_cls(tf_env.time_step_spec(), tf_env.action_spec(),
                           py_env.agent_ids, config=config,
                           seed=identity.get("seed", 0), **parts)
  tf.train.Checkpoint(agent=agent).restore(latest).expect_partial()
  return agent, make_env
