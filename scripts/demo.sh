#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's first command: installs what is missing, builds, and runs the main job.
#
# Main job today: validate the built-in default configuration (the branch / data-center
# organisation of examples/configs/default.textproto) and show its routers, peers, service routes
# and the deny-by-default access matrix. When the router lands, this same command starts the
# two-router demo between network namespaces instead.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-deps.sh
bash scripts/build.sh release

echo
echo "== ssr-config-check --default --matrix =="
build/release/tools/ssr-config-check --default --matrix
