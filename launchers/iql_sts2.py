r"""IQL (independent DQN with a shared network) on primitive actions on
STS2 3v3 against the scripted team, the flat baseline of thesis §4.3.2.

  python -m launchers.iql_sts2 --root_dir=runs/iql_sts2 --seed=0

Defaults: thesis §4.3.2; --hparam key=value overrides one config field.
"""

from absl import flags

from launchers import sts2_common
from mmagents.core import launch
from mmagents.hsd import baselines

sts2_common.define_flags()
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(sts2_common)


def main(argv):
  del argv
  sts2_common.train("iql_sts2", "iql_team", baselines.IQLConfig())


if __name__ == "__main__":
  launch.run(main)
