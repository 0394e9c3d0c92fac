r"""CM3 (credit function, curriculum, function augmentation) on cooperative
navigation (thesis Fig. 3.5a-c).

  python -m launchers.cm3_particle --root_dir=runs/cm3_s1 --stage=1
  python -m launchers.cm3_particle --root_dir=runs/cm3_antipodal \
      --scenario=antipodal --stage1_dir=runs/cm3_s1
  python -m launchers.cm3_particle --root_dir=runs/qv_antipodal \
      --scenario=antipodal --stage1_dir=runs/cm3_s1 --ablation=qv
  python -m launchers.cm3_particle --root_dir=runs/direct_antipodal \
      --scenario=antipodal --ablation=direct

One Stage-1 run (a single particle reaching any landmark) serves every
scenario.

Defaults: thesis Table A.3 and App. A.8.1 (mmagents/cm3/presets.py);
--hparam key=value overrides one config field.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("particle", "cm3")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("cm3_particle", "particle", "cm3")


if __name__ == "__main__":
  launch.run(main)
