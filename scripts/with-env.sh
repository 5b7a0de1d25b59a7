#!/usr/bin/env bash
# Runs a command with the pinned toolchain first on PATH and Pulumi set up to work offline against
# a file backend inside the checkout. Every npm script goes through here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

export PATH="$root/.tools/bin:$root/node_modules/.bin:$PATH"
export NATS_SERVER_BIN="${NATS_SERVER_BIN:-$root/.tools/bin/nats-server}"
export PULUMI_HOME="${PULUMI_HOME:-$root/.pulumi-state/home}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$root/.pulumi-state/backend}"
# The documented passphrase of the local file backend; set your own for anything but loopback.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-nats-global-local}"
# No backup of the state per update: these stacks live on this machine, and tests make hundreds.
export PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS="${PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS-true}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-true}"
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
mkdir -p "$PULUMI_HOME" "${PULUMI_BACKEND_URL#file://}"

exec "$@"
