r"""Centralized actor-critic on Cleanup: the "Cen" upper bound of Fig. 5.6.

Every agent maximizes the collective return (the sum of all agents'
rewards), which independent learners in a social dilemma are not allowed
to do; its curve marks roughly the best collective return reachable.

  python -m launchers.cen_cleanup --root_dir=runs/cen_cleanup7

Same networks and defaults as `ac_cleanup`.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.core import launch

cleanup_common.define_ac_cleanup_flags()
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)


def main(argv):
  del argv
  cleanup_common.train_ac_cleanup("cen_cleanup", reward="collective")


if __name__ == "__main__":
  launch.run(main)
