#!/usr/bin/env bash
# Installs everything the project needs, at pinned versions: npm dependencies, nats-server, the nats
# CLI, toxiproxy (the latency proxy between region namespaces), and the Pulumi CLI with the
# dynamic-provider shim. Go binaries are built once into a cache outside the checkout and linked
# into ./.tools/bin; a second run only checks and takes seconds.
set -euo pipefail

step_tag=setup
# shellcheck source=toolchain.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
bin="$root/.tools/bin"

command -v npm >/dev/null || fail "npm is missing: install Node.js with npm from your package manager (any release that runs npm; the pinned Node.js is installed below)"
command -v go >/dev/null ||
  fail "Go (1.26 or newer) is missing: install it (https://go.dev/doc/install or your package manager); it builds nats-server, the nats CLI and the Pulumi CLI"

mkdir -p "$bin"
lock_toolchain setup

lock_hash=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
stamp="$root/node_modules/.nats-global-lock-sha256"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]]; then
  step "npm dependencies: up to date"
else
  step "npm dependencies: installing from package-lock.json (npm ci, about a minute)"
  # --ignore-scripts: the cloud provider packages' install scripts fetch plugins from the internet,
  # which the project never runs (cloud platforms are tested under mocks).
  (cd "$root" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$stamp"
fi

# The pinned Node.js, from the npm registry's node-linux-<arch> package (its bin/node alone), which npm
# checks against the registry's integrity hash. Every command then runs on it (scripts/with-env.sh).
fetch_node() {
  local out=$1 version=${2#v} arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no Node.js package for $(uname -m) on the npm registry: install Node.js $version yourself" ;;
  esac
  (cd "$out" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  tar -xzf "$out/node-linux-$arch-$version.tgz" -C "$out" --strip-components=2 package/bin/node
  rm "$out/node-linux-$arch-$version.tgz"
}
link_tools "$(cached_tool node "v$NODE_VERSION" fetch_node)" "$bin" node

# go_tool NAME VERSION BUILD_FUNCTION: builds NAME once per machine and links it into ./.tools/bin.
go_tool() { link_tools "$(cached_tool "$1" "$2" "$3")" "$bin" "$1"; }

# Static, as the release is built (CGO_ENABLED=0): the platform tests run it in a container's root
# with no libc, as the image does. The cache key says so, replacing earlier dynamic builds.
build_nats_server() { CGO_ENABLED=0 GOBIN="$1" go install "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"; }
build_nats_cli() { GOBIN="$1" go install "github.com/nats-io/natscli/nats@$2"; }
# The module names its command `server`; the project calls it by the name its README uses.
build_toxiproxy() {
  GOBIN="$1" go install "github.com/Shopify/toxiproxy/v2/cmd/server@$2"
  mv "$1/server" "$1/toxiproxy-server"
}

build_actionlint() { GOBIN="$1" go install "github.com/rhysd/actionlint/cmd/actionlint@$2"; }

# The Pulumi CLI's module has replace directives, so `go install` refuses it; a throwaway wrapper
# module requires pkg and sdk at one version and builds the CLI with that version stamped in.
build_pulumi() {
  local out=$1 version=$2 work
  work=$(mktemp -d)
  cat >"$work/go.mod" <<EOF
module nats-global.local/pulumi-cli

go 1.26
EOF
  cat >"$work/tools.go" <<EOF
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
  (
    cd "$work"
    step "  resolving github.com/pulumi/pulumi/pkg/v3@$version (downloads about 2 GB of modules once)"
    go get "github.com/pulumi/pulumi/pkg/v3@$version" "github.com/pulumi/pulumi/sdk/v3@$version"
    go mod tidy -e >/dev/null 2>&1
    step "  compiling (about 6 minutes on 2 cores)"
    go build -o "$out/pulumi" \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  rm -rf "$work"
}

go_tool nats-server "$NATS_SERVER_VERSION-static" build_nats_server
go_tool nats "$NATSCLI_VERSION" build_nats_cli
go_tool toxiproxy-server "$TOXIPROXY_VERSION" build_toxiproxy
go_tool actionlint "$ACTIONLINT_VERSION" build_actionlint
go_tool pulumi "$PULUMI_VERSION" build_pulumi

# The OpenAPI schemas of a Kubernetes release, which the k8s platform's manifests are tested against:
# only the module's source (about 20 MB), from the Go module proxy into Go's module cache.
schemas="$(go env GOMODCACHE)/k8s.io/kubernetes@$KUBERNETES_SCHEMA_VERSION/api/openapi-spec/v3"
if [[ -d "$schemas" ]]; then
  step "Kubernetes $KUBERNETES_SCHEMA_VERSION OpenAPI schemas: cached"
else
  step "Kubernetes $KUBERNETES_SCHEMA_VERSION OpenAPI schemas: downloading k8s.io/kubernetes (first time only)"
  (cd "$cache" && GOFLAGS=-mod=mod go mod download "k8s.io/kubernetes@$KUBERNETES_SCHEMA_VERSION")
  [[ -d "$schemas" ]] || fail "k8s.io/kubernetes@$KUBERNETES_SCHEMA_VERSION has no api/openapi-spec/v3"
fi

shim="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
[[ -x "$shim" ]] || fail "the dynamic-provider shim is missing from @pulumi/pulumi ($shim)"
ln -sfn "$shim" "$bin/pulumi-resource-pulumi-nodejs"
step "toolchain ready in $bin: node $("$bin/node" --version), $("$bin/nats-server" --version), nats $("$bin/nats" --version 2>&1), pulumi $("$bin/pulumi" version)"
