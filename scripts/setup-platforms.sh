#!/usr/bin/env bash
# Installs what the platform tests (npm run test:platforms) run besides the main toolchain: a
# Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), the NATS
# config reloader and metrics exporter that run beside each server there, the Prometheus Operator's
# PodMonitor CRD, the Pulumi Kubernetes provider, the Terraform
# AWS provider through Pulumi's bridge, and the moto AWS emulator. Everything is built from the Go
# module proxy or installed from PyPI once per machine, into the same cache as scripts/setup.sh,
# keyed by the version or a hash of what builds it (scripts/platforms/); a second run only checks.
# From empty Go caches on 2 cores the builds take about 25 minutes, most of it the Kubernetes control
# plane and provider.
set -euo pipefail

step_tag=setup-platforms
# shellcheck source=toolchain.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
platforms="$root/scripts/platforms"
bin="$root/.tools/platforms/bin"

command -v go >/dev/null || fail "Go (1.26 or newer) is missing: run scripts/setup.sh first"
command -v python3 >/dev/null || fail "python3 (3.9 or newer, with venv) is missing: it runs the moto AWS emulator"
lock_toolchain platforms

# A short hash of the files that build a tool: any change to them builds it again.
key_of() { (cd "$platforms" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12; }
# The version a wrapper module requires of a module.
required() {
  awk -v m="$2" '{ sub(/^require[[:space:]]+/, "") } $1 == m && $2 ~ /^v/ && !found { print $2; found = 1 }' \
    "$platforms/$1/go.mod"
}
# The version of an npm package the project installed.
npm_version() { node -p "require('$root/node_modules/$1/package.json').version"; }

build_etcd() {
  step "  compiling go.etcd.io/etcd/server/v3 $(required etcd go.etcd.io/etcd/server/v3) (about 2 minutes on 2 cores)"
  (cd "$platforms/etcd" && go build -mod=readonly -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3)
}

# Stamped as the release's own build would be: clients (the Pulumi provider among them) read it.
build_kubernetes() {
  local version minor
  version=$(required kubernetes k8s.io/kubernetes)
  minor=$(echo "$version" | cut -d. -f2)
  local flags="-s -w"
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $package.gitVersion=$version -X $package.gitMajor=1 -X $package.gitMinor=$minor -X $package.gitTreeState=clean"
  done
  step "  compiling kube-apiserver, kube-controller-manager and kube-scheduler $version (about 15 minutes on 2 cores)"
  (cd "$platforms/kubernetes" && go build -mod=readonly -ldflags "$flags" -o "$1/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler)
}

# A wrapper module copied into a work folder, with files it needs from a module's source.
work_copy() {
  local work="$cache/build/$1"
  rm -rf "$work" && mkdir -p "$work" && cp -r "$platforms/$1/." "$work/"
  echo "$work"
}
# Outside any module: a wrapper may replace the very module asked for.
module_dir() { (cd "$cache" && go mod download -json "$1@$2" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)'); }

build_kubernetes_provider() {
  local work version source
  work=$(work_copy kubernetes-provider)
  version=$(required kubernetes-provider github.com/pulumi/pulumi-kubernetes/provider/v4)
  source=$(module_dir github.com/pulumi/pulumi-kubernetes/provider/v4 "$version")
  cp "$source/cmd/pulumi-resource-kubernetes/schema.json" "$source/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$work/"
  cp -r "$source" "$work/provider" && chmod -R u+w "$work/provider"
  step "  applying pulumi-kubernetes#4094 (the StatefulSet await waits for the controller to observe the update)"
  patch --quiet -d "$work/provider" -p1 <"$work/statefulset-observed-generation.patch"
  step "  compiling github.com/pulumi/pulumi-kubernetes/provider/v4 $version (about 10 minutes on 2 cores)"
  (cd "$work" && go build -mod=readonly -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$version" \
    -o "$1/pulumi-resource-kubernetes" .)
  rm -rf "$work"
}

build_aws_provider() {
  local work version source plugin
  work=$(work_copy aws-provider)
  version=$(required aws-provider github.com/hashicorp/terraform-provider-aws)
  plugin=$(npm_version @pulumi/aws)
  source=$(module_dir github.com/hashicorp/terraform-provider-aws "$version")
  step "  copying the upstream module ($version, about 300 MB) and trimming it to the services the aws platform uses"
  cp -r "$source" "$work/upstream" && chmod -R u+w "$work/upstream"
  cp -r "$work/upstream-overlay/." "$work/upstream/"
  step "  compiling through pulumi-terraform-bridge (about 5 minutes on 2 cores from empty caches, 1 with warm ones)"
  (cd "$work" && go build -mod=readonly -ldflags "-s -w -X main.version=$plugin" -o "$1/pulumi-resource-aws" .)
  rm -rf "$work"
}

# Through a wrapper module: `go install nack@version` needs the proxy's version list, which it refuses.
build_config_reloader() {
  (cd "$platforms/config-reloader" && go build -mod=readonly -ldflags "-s -w" -o "$1/" \
    github.com/nats-io/nack/cmd/nats-server-config-reloader)
}

build_metrics_exporter() {
  (cd "$platforms/metrics-exporter" && CGO_ENABLED=0 go build -mod=readonly -ldflags "-s -w" -o "$1/" \
    github.com/nats-io/prometheus-nats-exporter)
}

podmonitor_crd=monitoring.coreos.com_podmonitors.yaml
copy_podmonitor_crd() {
  local version source
  version=$(required prometheus-operator github.com/prometheus-operator/prometheus-operator)
  source=$(module_dir github.com/prometheus-operator/prometheus-operator "$version")
  cp "$source/example/prometheus-operator-crd/$podmonitor_crd" "$1/"
}

build_moto() {
  step "  installing moto[server] and its pinned dependencies from PyPI into a virtual environment"
  python3 -m venv "$1"
  "$1/bin/pip" install --quiet --disable-pip-version-check -r "$platforms/moto-requirements.txt"
}

# Keys and folders are assigned first: a failure inside $(...) as a command's argument would not stop
# the script.
key=$(key_of etcd)
dir=$(cached_tool etcd "$key" build_etcd)
link_tools "$dir" "$bin" etcd
key=$(key_of kubernetes)
dir=$(cached_tool kubernetes "$key" build_kubernetes)
link_tools "$dir" "$bin" kube-apiserver kube-controller-manager kube-scheduler
key=$(key_of config-reloader)
dir=$(cached_tool nats-server-config-reloader "$key" build_config_reloader)
link_tools "$dir" "$bin" nats-server-config-reloader
key=$(key_of metrics-exporter)
dir=$(cached_tool prometheus-nats-exporter "$key" build_metrics_exporter)
link_tools "$dir" "$bin" prometheus-nats-exporter
key=$(key_of prometheus-operator)
dir=$(cached_tool podmonitor-crd "$key" copy_podmonitor_crd)
link_tools "$dir" "$root/.tools/platforms/crds" "$podmonitor_crd"
# The Pulumi home of the platform tier alone (`npm run test:platforms` points PULUMI_HOME here): these
# builds stand in for the released providers only in its stacks, never in `npm run up` or yours.
platform_home="$root/.pulumi-state/platform-home"
# install_plugin NAME DIR KEY: the provider built into DIR as the plugin NAME at the version of its
# npm package, in the platform tier's Pulumi home (not on PATH, where every stack would find it).
install_plugin() {
  local name=$1 dir=$2 key=$3 version
  version=$(npm_version "@pulumi/$name")
  local stamp="$platform_home/plugins/resource-$name-v$version/.nats-global-build"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$key" ]]; then
    step "plugin $name $version: installed"
  else
    step "plugin $name $version: installing the build $key into .pulumi-state/platform-home"
    PULUMI_HOME="$platform_home" bash "$root/scripts/with-env.sh" pulumi plugin install resource "$name" \
      "$version" --reinstall -f "$dir/pulumi-resource-$name" >/dev/null
    echo "$key" >"$stamp"
  fi
}
key=$(key_of kubernetes-provider)
dir=$(cached_tool pulumi-resource-kubernetes "$key" build_kubernetes_provider)
install_plugin kubernetes "$dir" "$key"
# The plugin version is stamped into the binary: a new @pulumi/aws is a new build.
key=$(key_of aws-provider)-$(npm_version @pulumi/aws)
dir=$(cached_tool pulumi-resource-aws "$key" build_aws_provider)
install_plugin aws "$dir" "$key"
python=$(python3 -c 'import sys; print("py%d.%d" % sys.version_info[:2])')
key=$(key_of moto-requirements.txt)-$python
dir=$(cached_tool moto "$key" build_moto)
# The venv's own scripts name the folder it was made in; its python finds the venv wherever it is.
printf '#!/bin/sh\nexec "%s/bin/python3" "$@"\n' "$dir" >"$bin/moto-python"
chmod +x "$bin/moto-python"
step "platform tools ready in $bin: $(ls "$bin" | tr '\n' ' ')"
