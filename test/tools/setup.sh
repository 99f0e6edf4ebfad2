#!/usr/bin/env bash
# Installs the real peers the integration and e2e tests run (versions pinned in versions.env), idempotently.
#
#   bash test/tools/setup.sh               # every tool
#   bash test/tools/setup.sh olareg crane  # a subset
#
# Each tool is built once (`go build` in a throwaway module, see install_go_tool) into
# ${SIGNET_TOOLS_DIR:-$HOME/.cache/signet/tools}/<name>-<version>/ and linked from <tools dir>/bin/<name>; the Go module and build caches (GOMODCACHE, GOCACHE) are left in place
# so a version bump rebuilds only what changed. A tool whose stamp matches is never rebuilt and `go` is not even
# invoked, so a warm run takes milliseconds. Tools build SIGNET_TOOLS_JOBS at a time (default 2), each with
# `go build -p ${SIGNET_GO_P:-2}`: measured on the 2-core machine, this beat downloading everything first and then
# compiling one tool at a time, because cosign's long module download overlaps with the other tools' compiles and
# cosign (the critical path, ~7-8 min cold) still gets both cores once the small tools are done.
# Debian packages the tests need are installed with apt only when missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

tools_dir=${SIGNET_TOOLS_DIR:-$HOME/.cache/signet/tools}
bin_dir=$tools_dir/bin
log_dir=$tools_dir/logs
jobs=${SIGNET_TOOLS_JOBS:-2}
go_parallel=${SIGNET_GO_P:-2}

# name → Go package and version. The binary is named after the tool (so `etcd`, not `v3`); a second major
# of a tool gets its own name here (cosign3 → github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN3_VERSION).
declare -A tool_package=(
  [olareg]=github.com/olareg/olareg/cmd/olareg
  [crane]=github.com/google/go-containerregistry/cmd/crane
  [oras]=oras.land/oras/cmd/oras
  [notation]=github.com/notaryproject/notation/cmd/notation
  [cosign]=github.com/sigstore/cosign/v2/cmd/cosign
  [cosign3]=github.com/sigstore/cosign/v3/cmd/cosign
  [opa]=github.com/open-policy-agent/opa
  [etcd]=go.etcd.io/etcd/server/v3
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
  [gatekeeper]=github.com/open-policy-agent/gatekeeper/v3
  [gator]=github.com/open-policy-agent/gatekeeper/v3/cmd/gator
  [helm]=helm.sh/helm/v4/cmd/helm
  [ratify]=github.com/ratify-project/ratify/cmd/ratify
  [docker-credential-signet-test]=github.com/docker/docker-credential-helpers
)
# Tools built from a main package in this repository (test/tools/<dir>) against the module above at its pinned
# version; the stamp includes the sources' hash, so editing them rebuilds.
declare -A tool_source=(
  [docker-credential-signet-test]=$here/credential-helper
)
declare -A tool_version=(
  [olareg]=$OLAREG_VERSION
  [crane]=$CRANE_VERSION
  [oras]=$ORAS_VERSION
  [notation]=$NOTATION_VERSION
  [cosign]=$COSIGN_VERSION
  [cosign3]=$COSIGN3_VERSION
  [opa]=$OPA_VERSION
  [etcd]=$ETCD_VERSION
  [kube-apiserver]=$KUBERNETES_VERSION
  [kubectl]=$KUBERNETES_VERSION
  [gatekeeper]=$GATEKEEPER_VERSION
  [gator]=$GATEKEEPER_VERSION
  [helm]=$HELM_VERSION
  [ratify]=$RATIFY_VERSION
  [docker-credential-signet-test]=$DOCKER_CREDENTIAL_HELPERS_VERSION
)
# Longest build first, so the short ones fill the other slot instead of leaving it idle at the end.
all_tools=(kube-apiserver ratify cosign cosign3 gatekeeper gator opa helm notation kubectl oras etcd olareg crane
  docker-credential-signet-test)
# Debian packages the tests use (checked with dpkg, installed only if missing); chromium renders the HTML
# compliance report headless (test/e2e/compliance-report.e2e.test.ts); docker-registry (CNCF distribution, no
# referrers API) is the benchmark's tag-schema registry (bench/docker-registry.ts).
apt_packages=(openssl redis-server chromium docker-registry)

say() { echo "[tools] $*"; }
fail() {
  echo "[tools] ERROR: $*" >&2
  exit 1
}

tool_dir() { echo "$tools_dir/$1-${tool_version[$1]}"; }
tool_binary() { echo "$1"; }
tool_stamp() {
  local source=${tool_source[$1]:-}
  if [ -n "$source" ]; then
    echo "${tool_package[$1]}@${tool_version[$1]} $(cat "$source"/*.go | sha256sum | cut -c1-16)"
  else
    echo "${tool_package[$1]}@${tool_version[$1]}"
  fi
}

is_installed() {
  local dir
  dir=$(tool_dir "$1")
  [ -x "$dir/$(tool_binary "$1")" ] && [ -f "$dir/.stamp" ] && [ "$(<"$dir/.stamp")" = "$(tool_stamp "$1")" ]
}

link_tool() {
  mkdir -p "$bin_dir"
  ln -sfn "../$(basename "$(tool_dir "$1")")/$(tool_binary "$1")" "$bin_dir/$1"
}

# Builds one tool into a staging dir and moves it into place only when complete, so an interrupted
# build never leaves a binary that the stamp check would accept.
# Not `go install pkg@version`: it looks up the module's deprecation in the proxy's version list and fails
# when the proxy refuses that list (ours serves pinned versions only); `go get` in a throwaway module treats
# that lookup as advisory and selects the same dependency versions.
install_go_tool() {
  local name=$1 dir staging log started
  dir=$(tool_dir "$name")
  staging=$dir.partial
  log=$log_dir/$name-${tool_version[$name]}.log
  rm -rf "$staging"
  mkdir -p "$staging/src" "$log_dir"
  started=$SECONDS
  say "$name ${tool_version[$name]}: building $(tool_stamp "$name")"
  # CGO off: static binaries, no C toolchain needed; -s -w: smaller binaries and a faster link.
  if ! (
    cd "$staging/src"
    go mod init "signet.local/tools/$name"
    add_staging_replaces "${tool_package[$name]}" "${tool_version[$name]}"
    seed_go_sum "${tool_package[$name]}" "${tool_version[$name]}"
    go get "${tool_package[$name]}@${tool_version[$name]}"
    build_target=${tool_package[$name]}
    if [ -n "${tool_source[$name]:-}" ]; then
      cp "${tool_source[$name]}"/*.go .
      build_target=.
    fi
    CGO_ENABLED=0 go build -p "$go_parallel" -trimpath -ldflags='-s -w' \
      -o "$staging/$(tool_binary "$name")" "$build_target"
  ) >"$log" 2>&1 </dev/null; then
    echo "[tools] ERROR: building $(tool_stamp "$name") failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
  rm -rf "$staging/src"
  tool_stamp "$name" >"$staging/.stamp"
  rm -rf "$dir"
  mv "$staging" "$dir"
  link_tool "$name"
  say "$name ${tool_version[$name]}: installed in $((SECONDS - started))s"
}

# k8s.io/kubernetes points its k8s.io/* staging modules at ./staging with replace directives, which only apply
# when it is the main module; our throwaway module gets the same pins, each staging module at v0.<minor>.<patch>
# (how Kubernetes publishes them), read from the kubernetes go.mod itself so a version bump needs no edit here.
add_staging_replaces() {
  local package=$1 version=$2 gomod
  [[ $package == k8s.io/kubernetes/* ]] || return 0
  gomod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$gomod" ] || fail "could not download k8s.io/kubernetes@$version"
  sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9.-]*\) => \./staging/src/.*#\1#p' "$gomod" | while read -r staged; do
    go mod edit -replace "$staged=$staged@v0.${version#v1.}"
  done
}

# Ratify's go.mod pins pseudo-versions the checksum database does not know (`go get` fails with "verifying module:
# … 404 Not Found"); its own go.sum has their hashes, so the throwaway module starts from a copy (still verified).
seed_go_sum() {
  local package=$1 version=$2 module dir
  case $package in
    github.com/ratify-project/ratify/*) module=github.com/ratify-project/ratify ;;
    *) return 0 ;;
  esac
  dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -f "$dir/go.sum" ] || fail "could not download $module@$version"
  cp "$dir/go.sum" go.sum
  chmod u+w go.sum
}

apt_updated=0
# Installs the given Debian packages that are not installed yet; `apt-get update` runs at most once per run.
ensure_apt_pkg() {
  local missing=() package sudo=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || fail "Debian packages missing (${missing[*]}) and apt-get is not available"
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || fail "Debian packages missing (${missing[*]}): run as root or install sudo"
    sudo=(sudo -n)
  fi
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    "${sudo[@]}" apt-get update -qq </dev/null || fail "apt-get update failed"
    apt_updated=1
  fi
  say "apt-get install ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    </dev/null || fail "apt-get install ${missing[*]} failed"
}

main() {
  local requested=("$@") name missing=() started=$SECONDS
  [ ${#requested[@]} -eq 0 ] && requested=("${all_tools[@]}")
  for name in "${requested[@]}"; do
    [ -n "${tool_package[$name]:-}" ] || fail "unknown tool '$name' (known: ${all_tools[*]})"
  done

  ensure_apt_pkg "${apt_packages[@]}"

  for name in "${requested[@]}"; do
    if is_installed "$name"; then link_tool "$name"; else missing+=("$name"); fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "${requested[*]}: present in $tools_dir"
    return 0
  fi

  command -v go >/dev/null || fail "Go toolchain not found on PATH: install Go >= 1.25 (https://go.dev/doc/install) to build ${missing[*]}"
  mkdir -p "$tools_dir"
  # Another setup.sh (a parallel test run) may be building the same tools: wait for it, then re-check.
  exec 9>"$tools_dir/.lock"
  flock 9
  local to_build=()
  for name in "${missing[@]}"; do
    if is_installed "$name"; then link_tool "$name"; else to_build+=("$name"); fi
  done

  local status_dir running=0 failed=()
  status_dir=$(mktemp -d)
  for name in "${all_tools[@]}"; do
    [[ " ${to_build[*]} " == *" $name "* ]] || continue
    if [ "$running" -ge "$jobs" ]; then
      wait -n || true
      running=$((running - 1))
    fi
    # errexit holds inside the subshell, so any failed step leaves no .ok marker.
    (
      install_go_tool "$name"
      touch "$status_dir/$name.ok"
    ) &
    running=$((running + 1))
  done
  wait || true
  for name in "${to_build[@]}"; do
    [ -f "$status_dir/$name.ok" ] || failed+=("$name")
  done
  rm -rf "$status_dir"
  [ ${#failed[@]} -eq 0 ] || fail "could not install: ${failed[*]} (logs in $log_dir)"
  say "built ${to_build[*]} in $((SECONDS - started))s; binaries linked in $bin_dir"
}

main "$@"
