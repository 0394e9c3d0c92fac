r"""QMIX (monotonic value mixing baseline) on cooperative navigation (thesis
Fig. 3.5a-c).

  python -m launchers.qmix_particle --root_dir=runs/qmix_antipodal \
      --scenario=antipodal

Defaults: thesis Table A.3 and App. A.8.1 (mmagents/cm3/presets.py);
--hparam key=value overrides one config field.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("particle", "qmix")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("qmix_particle", "particle", "qmix")


if __name__ == "__main__":
  launch.run(main)
