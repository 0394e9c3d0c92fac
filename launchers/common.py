"""Pieces the launchers share: PG hyperparameter flags and `train_eval`."""

from __future__ import annotations

import dataclasses
import functools
import sys
from typing import Any, Callable, Dict, Tuple

from absl import flags

from mmagents.core import config_args
from mmagents.core import launch
from mmagents.core import runner

FLAGS = flags.FLAGS


def define_pg_flags(defaults) -> None:
  """PG hyperparameter flags with `defaults` (a `PGConfig`)."""
  flags.DEFINE_list("hidden_sizes", [str(h) for h in defaults.hidden_sizes],
                    "Policy MLP hidden layer sizes.")
  flags.DEFINE_float("learning_rate", defaults.learning_rate, "Policy lr.")
  flags.DEFINE_enum("optimizer", defaults.optimizer, ["sgd", "adam"],
                    "Policy optimizer.")
  flags.DEFINE_float("entropy_coeff", defaults.entropy_coeff,
                     "Entropy bonus coefficient β.")
  flags.DEFINE_float("gamma", defaults.gamma, "Discount factor.")
  flags.DEFINE_float("epsilon_start", defaults.epsilon_start,
                     "Exploration lower bound at the start.")
  flags.DEFINE_float("epsilon_end", defaults.epsilon_end,
                     "Exploration lower bound at the end of the decay.")
  flags.DEFINE_integer("epsilon_episodes", defaults.epsilon_episodes,
                       "Episodes over which ε decays linearly.")
  flags.DEFINE_enum("score_function", defaults.score_function,
                    ["behaviour", "policy"],
                    "Probabilities of the score function and entropy bonus: "
                    "behaviour (ε-floored π̃, as the thesis) or policy (π, "
                    "which lets a near-deterministic policy still learn).")


def pg_config_from_flags():
  from mmagents.agents import pg  # pylint: disable=g-import-not-at-top
  return pg.PGConfig(
      hidden_sizes=int_list_flag("hidden_sizes"),
      learning_rate=FLAGS.learning_rate, optimizer=FLAGS.optimizer,
      entropy_coeff=FLAGS.entropy_coeff, gamma=FLAGS.gamma,
      epsilon_start=FLAGS.epsilon_start,
      epsilon_end=FLAGS.epsilon_end, epsilon_episodes=FLAGS.epsilon_episodes,
      score_function=FLAGS.score_function)


def define_escape_room_flags() -> None:
  """ER(N, M) flags; ``--n_agents``/``--m_required`` are aliases."""
  flags.DEFINE_integer("num_agents", 2, "N: number of agents.")
  flags.DEFINE_alias("n_agents", "num_agents")
  flags.DEFINE_integer("min_at_lever", 1,
                       "M: lever pullers that open the door.")
  flags.DEFINE_alias("m_required", "min_at_lever")
  flags.DEFINE_integer("max_steps", 5, "Episode length limit.")
  flags.DEFINE_bool("random_start", False, "Draw start positions uniformly.")


def escape_room_kwargs() -> Dict[str, Any]:
  """Environment arguments from the `define_escape_room_flags` flags."""
  return {"num_agents": FLAGS.num_agents, "min_at_lever": FLAGS.min_at_lever,
          "max_steps": FLAGS.max_steps, "random_start": FLAGS.random_start}


def define_asymmetric_flag() -> None:
  flags.DEFINE_bool("asymmetric", False,
                    "The two-player asymmetric variant (App. B.5.1): agent_0 "
                    "reaches the door, agent_1 pulls the lever; ignores "
                    "--num_agents, --min_at_lever and --random_start.")


def escape_room_env(**asymmetric_kwargs) -> Tuple[str, Dict[str, Any]]:
  """Registry name and arguments of the Escape Room the flags select;
  `asymmetric_kwargs` go to the asymmetric variant only."""
  if FLAGS.asymmetric:
    return "escape_room_asymmetric", dict(max_steps=FLAGS.max_steps,
                                          **asymmetric_kwargs)
  return "escape_room", escape_room_kwargs()


def define_designer_flags(defaults) -> None:
  """ER(N, M) flags with ER(5, 2) as default, and the central designer's
  network, learning rate and incentive bound (MetaGrad, dual-RL)."""
  define_escape_room_flags()
  FLAGS.set_default("num_agents", 5)
  FLAGS.set_default("min_at_lever", 2)
  define_designer_network_flags(defaults)


def define_designer_network_flags(defaults) -> None:
  """The central designer's network, learning rate and incentive bound."""
  flags.DEFINE_list("designer_hidden_sizes",
                    [str(h) for h in defaults.designer_hidden_sizes],
                    "Designer MLP hidden layer sizes (d1, d2).")
  flags.DEFINE_float("designer_learning_rate",
                     defaults.designer_learning_rate,
                     "Adam learning rate α_ID of the designer.")
  flags.DEFINE_float("max_incentive", defaults.max_incentive,
                     "Incentives lie in (0, max_incentive).")


def train_eval_designer_escape_room(name: str, method_name: str,
                                    config_fn: Callable[[], Any]
                                    ) -> Dict[str, Any]:
  """`train_eval` on the flags' Escape Room with the global state, which a
  central incentive designer (MetaGrad, dual-RL) reads."""
  with launch.bad_input():
    config = config_fn()
  env_kwargs = dict(escape_room_kwargs(), with_state=True)
  return train_eval(name, "escape_room", env_kwargs, method_name, config)


def define_designer_critic_flags(defaults) -> None:
  """The designer critic's network and learning rate, and GAE's λ."""
  flags.DEFINE_list("designer_value_hidden_sizes",
                    [str(h) for h in defaults.designer_value_hidden_sizes],
                    "Designer critic hidden layer sizes.")
  flags.DEFINE_float("designer_value_learning_rate",
                     defaults.designer_value_learning_rate,
                     "Adam learning rate of the designer's critic.")
  flags.DEFINE_float("gae_lambda", defaults.gae_lambda,
                     "GAE λ of the designer's advantages.")


def define_outer_flags(defaults) -> None:
  """MetaGrad's cost and outer-objective flags, with `defaults`."""
  from mmagents.metagrad import designer  # pylint: disable=g-import-not-at-top
  define_cost_flags(defaults)
  flags.DEFINE_bool("cost_on_all_outputs", defaults.cost_on_all_outputs,
                    "Charge every output of the incentive function at each "
                    "step (the authors' code) instead of the incentives "
                    "given.")
  flags.DEFINE_enum("outer_objective", defaults.outer_objective,
                    list(designer.OUTER_OBJECTIVES),
                    "exact: Eq. 6.4 with the designer's returns; ppo: the "
                    "clipped objective of Eq. 6.5 with its own critic and "
                    "GAE.")
  flags.DEFINE_float("ppo_clip", defaults.ppo_clip, "PPO clip range ε.")
  flags.DEFINE_integer("outer_epochs", defaults.outer_epochs,
                       "Designer passes per iteration (ppo).")


def outer_config_kwargs() -> Dict[str, Any]:
  """Config fields of the `define_outer_flags` flags."""
  return dict(cost_coeff=FLAGS.cost_coeff,
              cost_learning_rate=FLAGS.cost_learning_rate,
              cost_on_all_outputs=FLAGS.cost_on_all_outputs,
              outer_objective=FLAGS.outer_objective, ppo_clip=FLAGS.ppo_clip,
              outer_epochs=FLAGS.outer_epochs)


def designer_config_kwargs() -> Dict[str, Any]:
  """Config fields of the designer network and critic flags."""
  return dict(
      designer_hidden_sizes=int_list_flag("designer_hidden_sizes"),
      designer_learning_rate=FLAGS.designer_learning_rate,
      max_incentive=FLAGS.max_incentive,
      designer_value_hidden_sizes=int_list_flag(
          "designer_value_hidden_sizes"),
      designer_value_learning_rate=FLAGS.designer_value_learning_rate,
      gae_lambda=FLAGS.gae_lambda)


def define_giving_flags(defaults) -> None:
  """PG flags plus the incentive network's (LIO, PG-c), with `defaults`."""
  define_pg_flags(defaults)
  flags.DEFINE_list("incentive_hidden_sizes",
                    [str(h) for h in defaults.incentive_hidden_sizes],
                    "Incentive network MLP hidden layer sizes.")
  flags.DEFINE_float("max_incentive", defaults.max_incentive,
                     "R_max: incentives lie in [0, R_max].")
  flags.DEFINE_bool("observe_given", defaults.observe_given,
                    "Agents observe the incentives they gave this episode.")


def giving_config_kwargs() -> Dict[str, Any]:
  """Config fields of the `define_giving_flags` flags."""
  return dict(dataclasses.asdict(pg_config_from_flags()),
              incentive_hidden_sizes=int_list_flag("incentive_hidden_sizes"),
              max_incentive=FLAGS.max_incentive,
              observe_given=FLAGS.observe_given)


def define_lio_flags(defaults) -> None:
  """LIO flags with `defaults` (a `LIOConfig`)."""
  define_giving_flags(defaults)
  flags.DEFINE_float("incentive_learning_rate",
                     defaults.incentive_learning_rate,
                     "Adam learning rate α_η of the incentive functions.")
  define_cost_flags(defaults)


def define_cost_flags(defaults) -> None:
  """Incentive cost flags (LIO, MetaGrad) with `defaults`."""
  flags.DEFINE_float("cost_coeff", defaults.cost_coeff,
                     "α: weight of the incentive cost (Eq. 5.5, ψ of 6.1).")
  flags.DEFINE_float("cost_learning_rate", defaults.cost_learning_rate,
                     "Adam learning rate of the cost term; 0 puts the cost "
                     "into the incentive loss instead.")


def int_list_flag(name: str) -> Tuple[int, ...]:
  """A list flag of layer sizes as ints; ValueError names the flag."""
  try:
    return tuple(int(h) for h in FLAGS[name].value)
  except ValueError:
    raise ValueError(f"--{name} must be integers, got "
                     f"{FLAGS[name].value}") from None


def lio_config_kwargs() -> Dict[str, Any]:
  """`LIOConfig` fields of the `define_lio_flags` flags."""
  return dict(giving_config_kwargs(),
              incentive_learning_rate=FLAGS.incentive_learning_rate,
              cost_coeff=FLAGS.cost_coeff,
              cost_learning_rate=FLAGS.cost_learning_rate)


def lio_config_from_flags():
  from mmagents.lio import agent as lio  # pylint: disable=g-import-not-at-top
  return lio.LIOConfig(**lio_config_kwargs())


_LIO_EPSILON_END_N3 = 0.3  # Table B.4, LIO, N = 3.


def set_lio_epsilon_end_for_three_agents() -> None:
  """Table B.4's N = 3 LIO column: ε_end 0.3, unless --epsilon_end is set."""
  if FLAGS.num_agents == 3 and not FLAGS["epsilon_end"].present:
    FLAGS.epsilon_end = _LIO_EPSILON_END_N3


def train_eval(name: str, env_name: str, env_kwargs: Dict[str, Any],
               method_name: str, method_config) -> Dict[str, Any]:
  """Builds the environment and agent from the registries and runs them.

  Args:
    name: launcher name, recorded in the experiment identity.
    env_name: environment registry name.
    env_kwargs: environment arguments (seed excluded).
    method_name: method registry name.
    method_config: the method's config dataclass instance.

  Returns:
    The run summary (also written to root_dir/summary.json).
  """
  from environments import registry as env_registry  # pylint: disable=g-import-not-at-top
  from mmagents.agents import registry as method_registry  # pylint: disable=g-import-not-at-top
  with launch.bad_input():
    method = method_registry.get(method_name)
    env = env_registry.make(env_name, **env_kwargs)  # Validates them.
    if FLAGS.parallel_envs > 1 and not method.agent_cls.batched_collection:
      raise ValueError(
          f"--parallel_envs={FLAGS.parallel_envs}: {method_name} trains on "
          "whole episodes of one environment; only methods that learn from "
          "transition replay (cm3, iac, coma, qmix) collect from several")
    if method.multigoal and not hasattr(env, "multigoal_parts"):
      raise ValueError(f"{method_name} needs a multi-goal environment "
                       "(particle_navigation, checkers, sumo_merge), not "
                       f"{env_name}")
    run_config = runner.RunConfig(
        root_dir=FLAGS.root_dir, num_episodes=FLAGS.num_episodes,
        eval_interval=FLAGS.eval_interval,
        num_eval_episodes=FLAGS.num_eval_episodes, seed=FLAGS.seed,
        greedy_eval_episodes=FLAGS.greedy_eval_episodes,
        episodes_per_iteration=FLAGS.episodes_per_iteration,
        verbose=not FLAGS.quiet, parallel_envs=FLAGS.parallel_envs)
  launch.select_device(FLAGS.device)
  identity = {"env": env_name, "env_kwargs": env_kwargs,
              "method": method_name,
              "method_config": dataclasses.asdict(method_config)}

  # Picklable: --parallel_envs builds environments in worker processes.
  make_env = functools.partial(env_registry.make_seeded, env_name,
                               env_kwargs)

  def make_agent(tf_env, py_env):
    parts = {"parts": py_env.multigoal_parts} if method.multigoal else {}
    return method.agent_cls(tf_env.time_step_spec(), tf_env.action_spec(),
                            py_env.agent_ids, config=method_config,
                            seed=FLAGS.seed, **parts)

  # Runs recorded before a field existed resume while it keeps its default.
  identity_defaults = {
      "env_kwargs": config_args.accepted_kwargs(
          env_registry.factory(env_name)),
      "method_config": config_args.defaults_of(type(method_config))}
  return runner.Runner(name, make_env, make_agent, run_config, identity,
                       command_flags=_command_flags(),
                       identity_defaults=identity_defaults).run()


def _command_flags() -> Dict[str, Any]:
  """Values of the launcher's own flags (absl's logging flags left out)."""
  ours = ("launchers", "mmagents", sys.argv[0])
  return {flag.name: flag.value
          for module, module_flags in FLAGS.flags_by_module_dict().items()
          if module.startswith(ours) for flag in module_flags}
