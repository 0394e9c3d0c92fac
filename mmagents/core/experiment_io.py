"""Files of an experiment's root directory.

``root_dir/experiment.json``  what the experiment is (refuses a different one)
``root_dir/metrics.jsonl``    one JSON row per evaluation
``root_dir/summary.json``     final metrics, flags and versions
``root_dir/checkpoints/``     TF checkpoints; the latest one resumes the run
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from typing import Any, Dict, List, Optional


class UsageError(Exception):
  """Bad flags, configs or directories: reported in one line, exit code 2."""


def prepare_root_dir(root_dir: str) -> None:
  """Creates `root_dir` and checks that it is writable."""
  if not root_dir:
    raise UsageError("--root_dir is required")
  try:
    os.makedirs(root_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root_dir):
      pass
  except OSError as e:
    raise UsageError(f"cannot write to root_dir {root_dir!r}: "
                     f"{e.strerror or e}") from None


def check_identity(root_dir: str, identity: Dict[str, Any],
                   defaults: Optional[Dict[str, Dict[str, Any]]] = None
                   ) -> bool:
  """Records what the experiment is, or checks it against the record.

  Args:
    root_dir: the experiment directory.
    identity: JSON-serializable description (launcher, env, method, seed,
      hyperparameters); run lengths and logging settings stay out of it so a
      run can be extended.
    defaults: for sections of `identity` (e.g. ``"method_config"``), the
      default value of each field. A record written before a field existed
      still matches when the run keeps that field at its default, so adding
      a hyperparameter does not orphan earlier runs.

  Returns:
    True if `root_dir` already held this experiment (resume).

  Raises:
    UsageError: `root_dir` holds a different experiment's files.
  """
  path = os.path.join(root_dir, "experiment.json")
  identity = _normalized(identity)
  if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
      recorded = _with_defaults(json.load(f), identity,
                                _json_defaults(defaults or {}))
    if recorded != identity:
      diffs = sorted(k for k in set(recorded) | set(identity)
                     if recorded.get(k) != identity.get(k))
      raise UsageError(f"root_dir {root_dir!r} holds a different experiment "
                       f"(differs in: {', '.join(diffs)}); use a new "
                       f"--root_dir")
    return True
  ckpt_dir = os.path.join(root_dir, "checkpoints")
  if os.path.isdir(ckpt_dir) and os.listdir(ckpt_dir):
    raise UsageError(f"root_dir {root_dir!r} holds checkpoints of an unknown "
                     f"experiment; use a new --root_dir")
  write_json(path, identity)
  return False


def _normalized(data: Any) -> Any:
  """As JSON reads it back (tuples become lists)."""
  return json.loads(json.dumps(data))


def _json_defaults(defaults: Dict[str, Dict[str, Any]]
                   ) -> Dict[str, Dict[str, Any]]:
  """`defaults` as JSON would record them; a default JSON cannot hold (an
  object such as physics parameters) is dropped, as no record can hold it."""
  kept = {}
  for section, values in defaults.items():
    kept[section] = {}
    for key, value in values.items():
      try:
        kept[section][key] = _normalized(value)
      except (TypeError, ValueError):
        pass
  return kept


def _with_defaults(recorded: Dict[str, Any], identity: Dict[str, Any],
                   defaults: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
  """`recorded` plus the default of each field of `identity` it predates."""
  filled = dict(recorded)
  for section, values in defaults.items():
    old, new = filled.get(section), identity.get(section)
    if isinstance(old, dict) and isinstance(new, dict):
      filled[section] = dict(old, **{k: values[k] for k in new
                                     if k not in old and k in values})
  return filled


def write_json(path: str, data: Any) -> None:
  """Writes `data` atomically (a crash leaves the old file or the new one)."""
  tmp = path + ".tmp"
  with open(tmp, "w", encoding="utf-8") as f:
    json.dump(data, f, indent=2, sort_keys=True)
    f.write("\n")
  os.replace(tmp, path)


class MetricsLog:
  """Append-only JSON-lines file whose length the checkpoint records."""

  def __init__(self, path: str):
    self.path = path

  def rows(self) -> List[dict]:
    if not os.path.exists(self.path):
      return []
    with open(self.path, encoding="utf-8") as f:
      return [json.loads(line) for line in f if line.strip()]

  def truncate(self, num_rows: int) -> None:
    """Keeps the first `num_rows` rows: drops rows newer than the checkpoint."""
    rows = self.rows()
    if len(rows) == num_rows:
      return
    if num_rows == 0:
      os.remove(self.path)
      return
    if len(rows) < num_rows:
      raise UsageError(f"{self.path} has {len(rows)} rows but the checkpoint "
                       f"expects {num_rows}; it was edited or truncated")
    tmp = self.path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
      for row in rows[:num_rows]:
        f.write(json.dumps(row) + "\n")
    os.replace(tmp, self.path)

  def append(self, row: dict) -> None:
    with open(self.path, "a", encoding="utf-8") as f:
      f.write(json.dumps(row) + "\n")
      f.flush()
      os.fsync(f.fileno())


def versions() -> Dict[str, str]:
  """Versions of the stack, for summary.json."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_agents  # pylint: disable=g-import-not-at-top
  import mmagents  # pylint: disable=g-import-not-at-top
  return {"python": platform.python_version(), "tensorflow": tf.__version__,
          "tf_agents": tf_agents.__version__, "numpy": np.__version__,
          "mmagents": mmagents.__version__}
