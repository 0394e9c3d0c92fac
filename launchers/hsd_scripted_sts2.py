r"""HSD-scripted (thesis §4.3.2): HSD's hierarchy with two skills whose
low-level rewards are hand-scripted subtasks instead of the decoder's
(skill 0: score while holding the puck; skill 1: take the puck).

  python -m launchers.hsd_scripted_sts2 --root_dir=runs/hsd_scripted_sts2

Defaults: thesis §4.3.2; --hparam key=value overrides one config field.
"""

from absl import flags

from launchers import sts2_common
from mmagents.core import launch
from mmagents.hsd import agent as hsd

sts2_common.define_flags()
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(sts2_common)


def main(argv):
  del argv
  sts2_common.train("hsd_scripted_sts2", "hsd",
                    hsd.HSDConfig(num_skills=2, skill_reward="scripted"))


if __name__ == "__main__":
  launch.run(main)
