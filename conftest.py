"""pytest setup: quiet TensorFlow, and drop tf.test.TestCase's `test_session`
(a deprecated helper, not a test, that pytest would report as skipped)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_collection_modifyitems(items):
  items[:] = [item for item in items if item.name != "test_session"]
