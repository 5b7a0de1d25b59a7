#!/usr/bin/env bash
# What scripts/setup.sh and scripts/setup-platforms.sh share: where tools are cached, progress lines,
# and building a tool once per machine. Sourced, not run.
# A failing build inside $(...) must fail the setup, not hand back an empty folder, and say where.
shopt -s inherit_errexit
set -o errtrace
trap 'printf "[%s] error: \`%s\` failed (%s line %s)\n" "$step_tag" "$BASH_COMMAND" "${BASH_SOURCE[0]##*/}" "$LINENO" >&2' ERR
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=versions.env
source "$root/scripts/versions.env"
cache="${NATS_GLOBAL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nats-global/tools}"

step() { printf '[%s] %s\n' "$step_tag" "$*"; }
fail() {
  printf '[%s] error: %s\n' "$step_tag" "$*" >&2
  exit 1
}

# lock_toolchain NAME: one run of a setup at a time per machine (tests and `npm run up` may start
# together); setup.sh and setup-platforms.sh build different tools and may run side by side.
lock_toolchain() {
  mkdir -p "$cache"
  exec 9>"$cache/.lock-$1"
  flock 9
}

# cached_tool NAME KEY BUILD_FUNCTION: runs BUILD_FUNCTION DIR KEY into $cache/NAME@KEY unless that
# is there already, and prints the directory last. KEY is a version, or a hash of what builds it.
cached_tool() {
  local name=$1 key=$2 build=$3
  local dir="$cache/$name@$key"
  if [[ -d "$dir" ]]; then
    step "$name $key: cached" >&2
  else
    step "$name $key: building into $dir (first time only)" >&2
    local started=$SECONDS
    rm -rf "$dir.partial" && mkdir -p "$dir.partial"
    "$build" "$dir.partial" "$key" >&2
    rm -rf "$dir" && mv "$dir.partial" "$dir"
    step "$name $key: built in $((SECONDS - started)) s" >&2
  fi
  echo "$dir"
}

# link_tools DIR BIN FILE...: hard links (pulumi looks for plugins beside its own path), else copies.
link_tools() {
  local dir=$1 bin=$2
  shift 2
  mkdir -p "$bin"
  for file in "$@"; do
    ln -f "$dir/$file" "$bin/$file" 2>/dev/null || cp -f "$dir/$file" "$bin/$file"
  done
}
