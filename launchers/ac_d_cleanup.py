r"""AC-d on Cleanup: actor-critic with discrete give-reward actions (Fig. 5.6).

Each action also says whether to hand R_a = 2 to each other agent, at the
same cost to the giver; plain actor-critic must learn when giving pays.

  python -m launchers.ac_d_cleanup --root_dir=runs/ac_d_cleanup7

Defaults follow thesis Table B.5 (AC-d column) and App. B.4.2.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.core import launch

cleanup_common.define_ac_cleanup_flags()
flags.DEFINE_float("give_value", 2.0, "R_a: reward moved per gift.")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)
FLAGS = flags.FLAGS

# Table B.5, AC-d: α_θ 1e-4 on 7x7; 1e-3 and ε over 1,000 episodes on 10x10.
MAP_DEFAULTS = {"cleanup_small_sym": {"learning_rate": 1e-4},
                "cleanup_10x10_sym": {"learning_rate": 1e-3,
                                      "epsilon_episodes": 1000}}


def main(argv):
  del argv
  cleanup_common.apply_map_defaults(MAP_DEFAULTS)
  cleanup_common.train_ac_cleanup("ac_d_cleanup", give_value=FLAGS.give_value)


if __name__ == "__main__":
  launch.run(main)
