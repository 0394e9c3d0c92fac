"""What every absl launcher shares: run flags, device choice, exit codes.

Exit codes: 0 done; 1 the run failed (non-finite loss, crash); 2 bad input
(flags, configs, root_dir) reported in one line without a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from typing import Callable, Sequence

# Before TensorFlow loads: hide its C++ start-up noise (CUDA factories).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# AutoGraph compiles TF-Agents code that trips Python 3.8+ literal checks.
warnings.filterwarnings("ignore", category=SyntaxWarning)

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

from mmagents.core import experiment_io  # pylint: disable=g-import-not-at-top

FLAGS = flags.FLAGS
EXIT_USAGE = 2


def define_run_flags(num_episodes: int, eval_interval: int,
                     num_eval_episodes: int) -> None:
  """Defines --root_dir, --seed, run lengths and --device with defaults."""
  flags.DEFINE_string("root_dir", None,
                      "Experiment directory: metrics, TensorBoard, checkpoints.")
  flags.DEFINE_integer("seed", 0, "Seed of networks, policies and environments.")
  flags.DEFINE_integer("num_episodes", num_episodes,
                       "Training episodes in total (a resumed run continues).")
  flags.DEFINE_integer("eval_interval", eval_interval,
                       "Training episodes between evaluations/checkpoints.")
  flags.DEFINE_integer("num_eval_episodes", num_eval_episodes,
                       "Episodes per evaluation.")
  flags.DEFINE_integer("greedy_eval_episodes", 0,
                       "Episodes per evaluation of the policy's mode (each "
                       "agent's most probable action), recorded as "
                       "greedy_return_mean; 0: none.")
  flags.DEFINE_integer("episodes_per_iteration", 1,
                       "Episodes collected per training step.")
  flags.DEFINE_integer("parallel_envs", 1,
                       "Training environments, each in its own worker "
                       "process (methods that learn from transition "
                       "replay: cm3, iac, coma, qmix).")
  flags.DEFINE_enum("device", "cpu", ["cpu", "gpu"], "Where TensorFlow runs.")
  flags.DEFINE_bool("quiet", False, "No progress lines.")
  flags.mark_flag_as_required("root_dir")


def select_device(device: str) -> None:
  """Hides GPUs for --device=cpu; checks that one exists for --device=gpu."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.get_logger().setLevel("ERROR")  # Deprecation notices of TF-Agents.
  gpus = tf.config.list_physical_devices("GPU")
  if device == "cpu":
    tf.config.set_visible_devices([], "GPU")
  elif not gpus:
    raise experiment_io.UsageError(
        "--device=gpu but TensorFlow sees no GPU (install the 'gpu' extra: "
        "pip install '.[gpu]')")
  tf.config.experimental.enable_op_determinism()


@contextlib.contextmanager
def bad_input():
  """Turns the ValueErrors of config and environment checks into UsageError."""
  try:
    yield
  except ValueError as e:
    raise experiment_io.UsageError(str(e)) from None


def parse_flags(argv: Sequence[str]):
  """absl flag parsing that reports errors in one line with exit code 2."""
  try:
    return FLAGS(argv)
  except flags.Error as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(EXIT_USAGE)


def run(main: Callable[[Sequence[str]], None]) -> None:
  """`app.run` with one-line errors: 2 for bad input, 1 for a failed run."""

  def guarded(argv):
    from mmagents.core import runner  # pylint: disable=g-import-not-at-top
    if len(argv) > 1:
      print(f"error: unexpected arguments {argv[1:]}", file=sys.stderr)
      sys.exit(EXIT_USAGE)
    try:
      main(argv)
    except experiment_io.UsageError as e:
      print(f"error: {e}", file=sys.stderr)
      sys.exit(EXIT_USAGE)
    except runner.NonFiniteLossError as e:
      print(f"error: {e}", file=sys.stderr)
      sys.exit(1)

  app.run(guarded, flags_parser=parse_flags)
