r"""Independent actor-critic (IAC baseline) on cooperative navigation (thesis
Fig. 3.5a-c).

  python -m launchers.iac_particle --root_dir=runs/iac_antipodal \
      --scenario=antipodal

Defaults: thesis Table A.3 and App. A.8.1 (mmagents/cm3/presets.py);
--hparam key=value overrides one config field.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("particle", "iac")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("iac_particle", "particle", "iac")


if __name__ == "__main__":
  launch.run(main)
