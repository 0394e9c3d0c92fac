r"""Dual-RL on Escape Room ER(N, M): the RL incentive designer of Fig. 6.1c.

The designer learns by REINFORCE from its own reward (collective extrinsic
reward minus the incentives it gives) alongside the PG learners; the thesis
finds it does not solve ER(5, 2).

  python -m launchers.dual_rl_escape_room --root_dir=runs/dual_d_er52
  python -m launchers.dual_rl_escape_room --root_dir=runs/dual_d5_er52 \
      --action_set=large
  python -m launchers.dual_rl_escape_room --root_dir=runs/dual_c_er52 \
      --action_set=continuous

``--action_set``: ``small`` {0, 1.1}, ``medium`` {0, 1.1, 2}, ``large``
{0, 0.5, 1, 1.5, 2} (discrete, dual-RL (d)) or ``continuous`` (dual-RL (c)).
Hyperparameters default to thesis Table C.1 (ER(5, 2)) for the chosen
variant, or Table C.2 with ``--num_agents=10``; flags given explicitly win.
"""

import dataclasses

from absl import flags

from launchers import common
from mmagents.core import launch
from mmagents.metagrad import dual_rl

_DEFAULTS = dual_rl.DualRLConfig()
# (variant, N) -> Table C.1 / C.2 values that differ from the defaults.
_TABLES = {
    ("discrete", 5): {},
    ("continuous", 5): dict(entropy_coeff=7.07, learning_rate=7.70e-4,
                            designer_learning_rate=1.17e-4,
                            hidden_sizes=(64, 32),
                            designer_hidden_sizes=(64, 64)),
    ("discrete", 10): dict(entropy_coeff=0.0166, learning_rate=9.56e-5,
                           designer_entropy_coeff=0.148,
                           designer_learning_rate=7.07e-3,
                           hidden_sizes=(64, 64),
                           designer_hidden_sizes=(64, 32)),
    ("continuous", 10): dict(entropy_coeff=0.345, learning_rate=9.05e-4,
                             designer_learning_rate=1.63e-4,
                             hidden_sizes=(64, 32),
                             designer_hidden_sizes=(128, 64)),
}

launch.define_run_flags(num_episodes=100_000, eval_interval=500,
                        num_eval_episodes=20)
common.define_pg_flags(_DEFAULTS)
common.define_designer_flags(_DEFAULTS)
flags.DEFINE_enum("action_set", "small",
                  [*dual_rl.ACTION_SETS, "continuous"],
                  "The designer's actions: a discrete incentive set, or "
                  "continuous incentives in (0, max_incentive).")
flags.DEFINE_float("designer_entropy_coeff", _DEFAULTS.designer_entropy_coeff,
                   "Entropy bonus of the discrete designer's policy.")
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS


def config_from_flags() -> dual_rl.DualRLConfig:
  """The flags, with the thesis table's value for every flag not given."""
  continuous = FLAGS.action_set == "continuous"
  table = _TABLES[("continuous" if continuous else "discrete",
                   10 if FLAGS.num_agents == 10 else 5)]
  for name, value in table.items():
    if not FLAGS[name].present:
      FLAGS[name].value = ([str(v) for v in value]
                           if isinstance(value, tuple) else value)
  return dual_rl.DualRLConfig(
      **dataclasses.asdict(common.pg_config_from_flags()),
      action_space="continuous" if continuous else "discrete",
      incentive_values=(_DEFAULTS.incentive_values if continuous
                        else dual_rl.ACTION_SETS[FLAGS.action_set]),
      max_incentive=FLAGS.max_incentive,
      designer_hidden_sizes=common.int_list_flag("designer_hidden_sizes"),
      designer_learning_rate=FLAGS.designer_learning_rate,
      designer_entropy_coeff=FLAGS.designer_entropy_coeff)


def main(argv):
  del argv
  common.train_eval_designer_escape_room("dual_rl_escape_room", "dual_rl",
                                         config_from_flags)


if __name__ == "__main__":
  launch.run(main)
