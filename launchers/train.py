r"""Any registered method on any registered environment.

  python -m launchers.train --root_dir=runs/pg_er32 --env=escape_room \
      --env_arg=num_agents=3 --env_arg=min_at_lever=2 --method=pg \
      --hparam=learning_rate=1e-4 --hparam=hidden_sizes=64,32

Unlike the per-experiment launchers (pg_escape_room, pg_ipd, ...), the
environment arguments and hyperparameters start from the library defaults;
unknown names or keys are errors that list the known ones.
"""

from absl import flags

from launchers import common
from mmagents.core import config_args
from mmagents.core import launch

launch.define_run_flags(num_episodes=10_000, eval_interval=500,
                        num_eval_episodes=20)
flags.DEFINE_string("env", None, "Environment name (environments/registry).")
flags.DEFINE_string("method", None, "Method name (mmagents/agents/registry).")
flags.DEFINE_multi_string("env_arg", [], "Environment argument key=value.")
flags.DEFINE_multi_string("hparam", [], "Method hyperparameter key=value.")
flags.mark_flags_as_required(["env", "method"])
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  from environments import registry as env_registry  # pylint: disable=g-import-not-at-top
  from mmagents.agents import registry as method_registry  # pylint: disable=g-import-not-at-top
  with launch.bad_input():
    method = method_registry.get(FLAGS.method)
    factory = env_registry.factory(FLAGS.env)
    env_kwargs = config_args.parse(
        FLAGS.env_arg, config_args.accepted_kwargs(factory), "--env_arg")
    hparams = config_args.parse(
        FLAGS.hparam, config_args.defaults_of(method.config_cls), "--hparam")
    config = method.config_cls(**hparams)
  common.train_eval(f"train_{FLAGS.method}_{FLAGS.env}", FLAGS.env,
                    env_kwargs, FLAGS.method, config)


if __name__ == "__main__":
  launch.run(main)
