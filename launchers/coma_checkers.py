r"""COMA (counterfactual multi-agent policy gradient baseline) on Checkers
(thesis Fig. 3.5e).

  python -m launchers.coma_checkers --root_dir=runs/coma_checkers

Defaults: thesis Table A.5 and App. A.8.3 (mmagents/cm3/presets.py);
--hparam key=value overrides one config field.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("checkers", "coma")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("coma_checkers", "checkers", "coma")


if __name__ == "__main__":
  launch.run(main)
