r"""QMIX (monotonic value mixing baseline) on SUMO's
double lane merge (thesis Fig. 3.5d; heavy-traffic tests: --config=C1..C4).

  python -m launchers.qmix_sumo --root_dir=runs/qmix_sumo

Defaults: thesis Table A.4 and App. A.8.2 (mmagents/cm3/presets.py);
--hparam key=value overrides one config field.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("sumo", "qmix")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("qmix_sumo", "sumo", "qmix")


if __name__ == "__main__":
  launch.run(main)
