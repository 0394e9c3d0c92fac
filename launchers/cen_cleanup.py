r"""Centralized actor-critic on Cleanup: the "Cen" upper bound of Fig. 5.6.

A single policy acts for both agents and maximizes the collective return,
which agents in a social dilemma are not allowed to do; its curve marks
roughly the best collective return reachable. As in the thesis ("a single
policy that acts for both agents", §6.3.2) the default controller sees the
whole map (agents in their own colours) and picks the joint action
(`environments.joint_control`; 36 actions for two agents).
``--control=independent`` instead trains each agent's own actor-critic on
the sum of all rewards (decentralized execution, a weaker bound).

  python -m launchers.cen_cleanup --root_dir=runs/cen_cleanup7

Same networks and learning rates as `ac_cleanup`; ε decays over 1,000
episodes on the 7x7 map (the authors' public centralized configuration;
Table B.5 has no Cen column) and over 5,000 on 10x10 (AC's).
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.core import launch

cleanup_common.define_ac_cleanup_flags()
flags.DEFINE_enum("control", "joint", ["joint", "independent"],
                  "joint: one policy picks the joint action from the whole "
                  "map; independent: each agent learns on the collective "
                  "reward from its own view.")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)

MAP_DEFAULTS = {"cleanup_small_sym": {"epsilon_episodes": 1000},
                "cleanup_10x10_sym": {"epsilon_episodes": 5000}}


def main(argv):
  del argv
  if flags.FLAGS.control == "joint":
    cleanup_common.train_ac_cleanup("cen_cleanup", joint_control=True,
                                    map_defaults=MAP_DEFAULTS)
  else:
    cleanup_common.train_ac_cleanup("cen_cleanup", reward="collective")


if __name__ == "__main__":
  launch.run(main)
