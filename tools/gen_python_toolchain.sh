#!/usr/bin/env bash
# Writes third_party/python_toolchain/BUILD (from BUILD.tpl) so that Bazel's
# py_binary and py_test run under the given interpreter, the project's venv.
# Usage: tools/gen_python_toolchain.sh .venv/bin/python
set -euo pipefail
[[ -x "$1" ]] || { echo "no Python interpreter at $1" >&2; exit 1; }
# Absolute, but not resolved: the venv's bin/python, not the base Python.
python="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
dir="$(cd "$(dirname "$0")/.." && pwd)/third_party/python_toolchain"
sed "s#@PYTHON@#${python}#" "${dir}/BUILD.tpl" > "${dir}/BUILD.tmp"
# Replace only on change: Bazel then keeps its analysis cache.
if cmp -s "${dir}/BUILD.tmp" "${dir}/BUILD"; then
  rm "${dir}/BUILD.tmp"
else
  mv "${dir}/BUILD.tmp" "${dir}/BUILD"
fi
