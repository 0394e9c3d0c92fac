"""Every test file has a Bazel py_test and every launcher a py_binary."""

import glob
import os
import re

from absl.testing import absltest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _targets(build_file: str, rule: str) -> set:
  with open(os.path.join(REPO, build_file)) as f:
    text = f.read()
  return set(re.findall(rule + r'\(\s*name = "([^"]+)"', text))


class BuildFilesTest(absltest.TestCase):

  def test_every_test_file_is_a_py_test(self):
    files = {os.path.basename(p)[:-3]
             for p in glob.glob(os.path.join(REPO, "tests", "*_test.py"))}
    self.assertNotEmpty(files)
    self.assertEqual(files - _targets("tests/BUILD", "py_test"), set())

  def test_every_launcher_is_a_py_binary(self):
    files = {os.path.basename(p)[:-3]
             for p in glob.glob(os.path.join(REPO, "launchers", "*.py"))}
    launchers = files - {"__init__", "common"}
    self.assertNotEmpty(launchers)
    self.assertEqual(launchers - _targets("launchers/BUILD", "py_binary"),
                     set())


if __name__ == "__main__":
  absltest.main()
