"""A tiny Cleanup for agent tests: river left, apples right, two agents."""

from environments.ssd import cleanup

TINY_MAP = ("@@@@@@@",
            "@R  PB@",
            "@H   B@",
            "@   PB@",
            "@@@@@@@")
MAX_STEPS = 6


def make_env(seed: int, **overrides) -> cleanup.Cleanup:
  """The tiny map in the LIO setting: 5x5 views, apples regrow fast."""
  kwargs = dict(layout=TINY_MAP, num_agents=2, actions=cleanup.LIO_ACTIONS,
                max_steps=MAX_STEPS, view_radius=2, apple_respawn_prob=0.9,
                depletion_threshold=0.9, random_orientation=False,
                random_spawn=False, normalize_observation=True,
                terminal_time_limit=True, seed=seed)
  return cleanup.Cleanup(**dict(kwargs, **overrides))


def setup(agent_cls, config, seed: int, **env_overrides):
  """A seeded agent of `agent_cls` with built optimizers, and its TF env."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.environments import tf_py_environment  # pylint: disable=g-import-not-at-top
  tf.keras.utils.set_random_seed(seed)
  env = make_env(seed, **env_overrides)
  tf_env = tf_py_environment.TFPyEnvironment(env)
  agent = agent_cls(tf_env.time_step_spec(), tf_env.action_spec(),
                    env.agent_ids, config, seed=seed)
  agent.build_optimizers()
  return agent, tf_env


def collect(agent, tf_env, episodes: int = 2):
  """`episodes` whole episodes of the collection policy, ``[1, T]``."""
  from tests import trajectories  # pylint: disable=g-import-not-at-top
  return trajectories.collect_episodes(agent, tf_env, MAX_STEPS, episodes)
