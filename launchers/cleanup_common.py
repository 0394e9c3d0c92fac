"""Flags shared by the Cleanup launchers: the map, the setting and AC's
hyperparameters, with thesis defaults per map (Table B.5)."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from absl import flags

from launchers import common

FLAGS = flags.FLAGS
MAPS = ("cleanup_small_sym", "cleanup_10x10_sym", "cleanup")


def define_cleanup_flags() -> None:
  """``--map``, ``--setting`` and ``--n_agents`` (0: the setting's)."""
  flags.DEFINE_enum("map", "cleanup_small_sym", MAPS,
                    "Cleanup map: LIO's 7x7 or 10x10, or the original.")
  flags.DEFINE_enum("setting", "lio", ["lio", "ssd"],
                    "Rules: LIO's (no rotation, no penalty beam, 50 steps) "
                    "or the original game's.")
  flags.DEFINE_integer("num_agents", 0,
                       "Agents; 0 takes the setting's (LIO 2, original 5).")
  flags.DEFINE_alias("n_agents", "num_agents")


def cleanup_env() -> Tuple[str, Dict[str, Any]]:
  """Registry name and arguments of the Cleanup the flags select."""
  kwargs = {"setting": FLAGS.setting, "map_name": FLAGS.map}
  if FLAGS.num_agents:
    kwargs["num_agents"] = FLAGS.num_agents
  return "cleanup", kwargs


def clean_action() -> int:
  """Index of the cleaning beam in the flags' setting's action set."""
  from environments.ssd import cleanup  # pylint: disable=g-import-not-at-top
  from environments.ssd import grid  # pylint: disable=g-import-not-at-top
  actions = list(cleanup.settings(FLAGS.setting, FLAGS.map)["actions"])
  return actions.index(grid.CLEAN)


def define_ac_flags(defaults) -> None:
  """PG flags plus the critic's and the network's, with `defaults`."""
  common.define_pg_flags(defaults)
  define_critic_flags(defaults)


def define_critic_flags(defaults) -> None:
  """The convolution's and the critic's flags, with `defaults`."""
  flags.DEFINE_integer("conv_filters", defaults.conv_filters,
                       "Filters of the input convolution (0: none).")
  flags.DEFINE_float("value_learning_rate", defaults.value_learning_rate,
                     "Adam learning rate α_φ of the critic.")
  flags.DEFINE_float("target_update_rate", defaults.target_update_rate,
                     "τ of the target critic's soft update.")
  flags.DEFINE_bool("share_parameters", defaults.share_parameters,
                    "One policy and one critic for all agents.")


def critic_config_kwargs() -> Dict[str, Any]:
  """Config fields of the `define_critic_flags` flags."""
  return dict(conv_filters=FLAGS.conv_filters,
              value_learning_rate=FLAGS.value_learning_rate,
              target_update_rate=FLAGS.target_update_rate,
              share_parameters=FLAGS.share_parameters)


def ac_config_kwargs() -> Dict[str, Any]:
  """`ACConfig` fields of the `define_ac_flags` flags."""
  return dict(dataclasses.asdict(common.pg_config_from_flags()),
              **critic_config_kwargs())


def apply_map_defaults(per_map: Mapping[str, Mapping[str, Any]]) -> None:
  """Sets the flags of `per_map[--map]` that the command line did not set."""
  for name, value in per_map.get(FLAGS.map, {}).items():
    if not FLAGS[name].present:
      FLAGS[name].value = value


# Table B.5: AC on 10x10 decays ε over 5,000 episodes.
AC_MAP_DEFAULTS = {"cleanup_10x10_sym": {"epsilon_episodes": 5000}}


def define_ac_cleanup_flags() -> None:
  """Run, map and AC flags of the actor-critic Cleanup launchers."""
  from mmagents.agents import ac  # pylint: disable=g-import-not-at-top
  from mmagents.core import launch  # pylint: disable=g-import-not-at-top
  launch.define_run_flags(num_episodes=50_000, eval_interval=500,
                          num_eval_episodes=10)
  define_cleanup_flags()
  define_ac_flags(ac.ACConfig())


def train_ac_cleanup(name: str, reward: str = "individual",
                     give_value: Optional[float] = None,
                     joint_control: bool = False,
                     map_defaults: Mapping[str, Mapping[str, Any]] = (
                         AC_MAP_DEFAULTS)) -> Dict[str, Any]:
  """Trains actor-critic agents on the flags' Cleanup with `reward`; with a
  `give_value`, on Cleanup with discrete give-reward actions (AC-d); with
  `joint_control`, one agent acting for all on the whole map (Cen)."""
  from mmagents.agents import ac  # pylint: disable=g-import-not-at-top
  from mmagents.core import launch  # pylint: disable=g-import-not-at-top
  apply_map_defaults(map_defaults)
  env_name, env_kwargs = cleanup_env()
  if give_value is not None:
    env_name, env_kwargs = "cleanup_give", dict(env_kwargs,
                                                give_value=give_value)
  if joint_control:
    env_name = "cleanup_joint"
  with launch.bad_input():
    config = ac.ACConfig(**ac_config_kwargs(), reward=reward)
  return common.train_eval(name, env_name, env_kwargs, "ac", config)


def define_harvest_flags() -> None:
  """Harvest's map, agents, episode length and regrowth neighbourhood."""
  flags.DEFINE_enum("map", "harvest", ["harvest"], "Harvest map.")
  flags.DEFINE_integer("num_agents", 5, "Agents (at most the spawn points).")
  flags.DEFINE_alias("n_agents", "num_agents")
  flags.DEFINE_integer("max_steps", 1000, "Episode length.")
  flags.DEFINE_enum("neighbourhood", "ssd", ["ssd", "meltingpot"],
                    "Regrowth neighbourhood: SSD's 3x3 or Melting Pot's "
                    "radius 2 (with their probabilities).")
  flags.DEFINE_bool("penalty_beam", True,
                    "Keep the penalty beam (-1 to the firer, -50 to each "
                    "agent hit); without it returns stay non-negative, so "
                    "equality (1 - Gini) is defined.")


def harvest_env() -> Tuple[str, Dict[str, Any]]:
  """Registry name and arguments of the Harvest the flags select."""
  from environments.ssd import grid  # pylint: disable=g-import-not-at-top
  kwargs = {"map_name": FLAGS.map, "num_agents": FLAGS.num_agents,
            "neighbourhood": FLAGS.neighbourhood,
            "max_steps": FLAGS.max_steps, "normalize_observation": True}
  if not FLAGS.penalty_beam:
    kwargs["actions"] = list(range(grid.FIRE))
  return "harvest", kwargs


def define_aga_flags() -> None:
  """AC flags with the gradient-adjustment defaults, ``--method`` and
  ``--alignment`` (λ)."""
  from mmagents.aga import actor_critic as aga_ac  # pylint: disable=g-import-not-at-top
  defaults = aga_ac.AgAACConfig()
  define_ac_flags(defaults)
  flags.DEFINE_enum("method", defaults.method, list(aga_ac.METHODS),
                    "Joint policy step: simul_ind (independent AC), "
                    "simul_co (collective gradient), aga, or aga_no_sign "
                    "(AgA without its sign rule).")
  flags.DEFINE_float("alignment", defaults.alignment,
                     "λ of AgA (the paper's runs use 0.1, 1, 100, 1000).")
  flags.DEFINE_integer("dice_horizon", defaults.dice_horizon,
                       "Steps whose actions the collective Hessian links "
                       "to each reward (0: the whole episode; 1: each "
                       "step alone, lower variance).")
  flags.DEFINE_enum("loss_scale", defaults.loss_scale,
                    list(aga_ac.LOSS_SCALES),
                    "Policy surrogates as sums per episode (thesis) or "
                    "means per step; sets the weight of AgA's Hessian "
                    "term against the gradients.")


def train_aga(name: str, env_name: str,
              env_kwargs: Mapping[str, Any]) -> Dict[str, Any]:
  """Trains gradient-adjusted actor-critic agents on an SSD game."""
  from mmagents.aga import actor_critic as aga_ac  # pylint: disable=g-import-not-at-top
  from mmagents.core import launch  # pylint: disable=g-import-not-at-top
  with launch.bad_input():
    config = aga_ac.AgAACConfig(**ac_config_kwargs(), method=FLAGS.method,
                                alignment=FLAGS.alignment,
                                dice_horizon=FLAGS.dice_horizon,
                                loss_scale=FLAGS.loss_scale)
  return common.train_eval(name, env_name, dict(env_kwargs), "aga_ac",
                           config)


def define_designer_cleanup_flags(defaults) -> None:
  """Run, map, AC and designer flags of the central-designer launchers
  (the authors' 100,000 episodes)."""
  from mmagents.core import launch  # pylint: disable=g-import-not-at-top
  launch.define_run_flags(num_episodes=100_000, eval_interval=1000,
                          num_eval_episodes=10)
  define_cleanup_flags()
  define_ac_flags(defaults)
  common.define_designer_network_flags(defaults)
  common.define_designer_critic_flags(defaults)


def train_designer_cleanup(name: str, method_name: str,
                           config_fn: Callable[..., Any]) -> Dict[str, Any]:
  """Trains a central designer (MetaGrad, dual-RL) and its learners on the
  flags' Cleanup with the global state; `config_fn(**kwargs)` gets the AC,
  designer and clean-action fields."""
  from mmagents.core import launch  # pylint: disable=g-import-not-at-top
  env_name, env_kwargs = cleanup_env()
  with launch.bad_input():
    config = config_fn(**ac_config_kwargs(),
                       **common.designer_config_kwargs(),
                       clean_action=clean_action())
  return common.train_eval(name, env_name, dict(env_kwargs, with_state=True),
                           method_name, config)
