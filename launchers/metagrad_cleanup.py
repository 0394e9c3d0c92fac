r"""MetaGrad on Cleanup (thesis Fig. 6.2): a central designer that pays
actor-critic agents per action type learns, through their learning, to pay
one agent for cleaning while the other collects apples.

  python -m launchers.metagrad_cleanup --root_dir=runs/metagrad_cleanup7
  python -m launchers.metagrad_cleanup --root_dir=runs/metagrad_exact \
      --outer_objective=exact

Defaults follow thesis Table C.3 (MetaGrad column) and the authors' 100,000
episodes on the 7x7 map; agents share one set of weights. With pipelining
one episode on the horizontal axis is one iteration (one rollout). The
designer's return at test time (``designer_return``) is the collective
extrinsic return minus the incentives it paid. See `mmagents.metagrad.cleanup`
for the choices the sources leave open (cost, designer critic).
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.core import launch
from mmagents.metagrad import cleanup

_DEFAULTS = cleanup.MetaGradACConfig()

cleanup_common.define_designer_cleanup_flags(_DEFAULTS)
common.define_outer_flags(_DEFAULTS)
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)


def _config(**kwargs) -> cleanup.MetaGradACConfig:
  return cleanup.MetaGradACConfig(**kwargs, **common.outer_config_kwargs())


def main(argv):
  del argv
  cleanup_common.train_designer_cleanup("metagrad_cleanup", "metagrad_ac",
                                        _config)


if __name__ == "__main__":
  launch.run(main)
