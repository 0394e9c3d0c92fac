"""Scratch directories for tests, deleted when the test that made them ends.

Run directories hold checkpoints and replay buffers; `tempfile.mkdtemp` alone
would leave them in the system temp directory after every suite run.
"""

import shutil
import tempfile
import unittest


def make_dir(test_case: unittest.TestCase) -> str:
  """Returns a new empty directory that is removed after `test_case` ends."""
  path = tempfile.mkdtemp(prefix="mmagents_test_")
  test_case.addCleanup(shutil.rmtree, path, ignore_errors=True)
  return path
