#!/usr/bin/env bash
# Writes third_party/python_toolchain/BUILD for the given Python interpreter.
set -euo pipefail
python="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "$0")/.." && pwd)/third_party/python_toolchain"
sed "s#@PYTHON@#${python}#" "${here}/BUILD.tpl" > "${here}/BUILD"
