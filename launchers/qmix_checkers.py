r"""QMIX (monotonic value mixing baseline) on Checkers (thesis Fig. 3.5e).

  python -m launchers.qmix_checkers --root_dir=runs/qmix_checkers

Defaults: thesis Table A.5 and App. A.8.3 (mmagents/cm3/presets.py);
--hparam key=value overrides one config field.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("checkers", "qmix")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("qmix_checkers", "checkers", "qmix")


if __name__ == "__main__":
  launch.run(main)
