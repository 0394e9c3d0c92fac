r"""Independent actor-critic (IAC baseline) on Checkers (thesis Fig. 3.5e).

  python -m launchers.iac_checkers --root_dir=runs/iac_checkers

Defaults: thesis Table A.5 and App. A.8.3 (mmagents/cm3/presets.py);
--hparam key=value overrides one config field.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("checkers", "iac")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("iac_checkers", "checkers", "iac")


if __name__ == "__main__":
  launch.run(main)
