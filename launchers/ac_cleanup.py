r"""Independent actor-critic on Cleanup (the AC baseline of thesis Fig. 5.6).

AC agents learn to clean, then compete for apples: the collective return
stays well below what a division of labour (one cleaner, one harvester)
gets.

  python -m launchers.ac_cleanup --root_dir=runs/ac_cleanup7
  python -m launchers.ac_cleanup --root_dir=runs/ac_cleanup10 \
      --map=cleanup_10x10_sym

Defaults follow thesis Table B.5 (AC column) for the chosen map.
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
  cleanup_common.train_ac_cleanup("ac_cleanup", reward="individual")


if __name__ == "__main__":
  launch.run(main)
