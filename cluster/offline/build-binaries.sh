#!/usr/bin/env bash
# Build the pinned binaries from Go modules (the Go module proxy is the only source):
# Kubernetes (server and kubectl), etcd, containerd, coredns, local-path-provisioner,
# metrics-server, kind and helm. Static (CGO_ENABLED=0) and -trimpath; each part is skipped
# when the cache already has it.
#
#   bash cluster/offline/build-binaries.sh [PART...]   # default: every part
#
# Parts: kubernetes etcd containerd coredns local-path-provisioner metrics-server kind helm
# (and registry, for `make registry-image` only)
set -euo pipefail
# shellcheck source=cluster/offline/lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

SRC="$OFFLINE_CACHE/src"
# -s -w: no symbol tables (smaller node image); the build ID stays for go version -m.
GO_BUILD=(go build -p "$OFFLINE_JOBS" -trimpath)

# wrapper_module DIR MODULE VERSION [REPLACE...]: a throwaway module that requires MODULE
# at VERSION, so its commands build with the exact dependency versions of that release.
# REPLACE is "path=>path version"; a module's own replace directives apply only when it is
# the main module, so those pointing into its repository are restated with published versions.
wrapper_module() {
    local dir="$1" module="$2" version="$3" repl
    shift 3
    mkdir -p "$dir"
    {
        echo "module orchestra.local/offline/$(basename "$dir")"
        echo
        echo "go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/').0"
        echo
        echo "require $module $version"
        for repl in "$@"; do
            echo "replace $repl"
        done
    } >"$dir/go.mod"
}

build_kubernetes() {
    local dir="$SRC/kubernetes" mod staging=() name
    mod="$(go mod download -json "k8s.io/kubernetes@$V_KUBERNETES" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
    # The staging modules: every "k8s.io/x => ./staging/src/k8s.io/x" of kubernetes' go.mod.
    while read -r name; do
        staging+=("$name => $name $V_STAGING")
    done < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$mod")
    echo "staging modules: ${#staging[@]}"
    ((${#staging[@]} > 20)) || die "found only ${#staging[@]} staging modules in $mod"
    wrapper_module "$dir" k8s.io/kubernetes "$V_KUBERNETES" "${staging[@]}"
    # Kubernetes' own go.mod says godebug default=go1.26: keep its runtime defaults.
    echo "godebug default=go$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')" >>"$dir/go.mod"
    local minor="${V_KUBERNETES#v1.}"
    minor="${minor%%.*}"
    local pkg ldflags="-s -w"
    # What hack/lib/version.sh stamps: kubectl version and kubeadm read gitVersion.
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=$V_KUBERNETES -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
        ldflags+=" -X $pkg.gitCommit=offline-$V_KUBERNETES"
    done
    cd "$dir"
    GOFLAGS=-mod=mod go mod download k8s.io/kubernetes
    local cmds=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl)
    GOFLAGS=-mod=mod "${GO_BUILD[@]}" -ldflags "$ldflags" -o "$BIN_OUT/" \
        "${cmds[@]/#/k8s.io/kubernetes/cmd/}"
    "$BIN_OUT/kubectl" version --client
}

build_etcd() {
    local dir="$SRC/etcd" v="$V_ETCD" m repl=()
    for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do
        repl+=("go.etcd.io/etcd/$m => go.etcd.io/etcd/$m $v")
    done
    wrapper_module "$dir" go.etcd.io/etcd/server/v3 "$v" "${repl[@]}"
    cd "$dir"
    GOFLAGS=-mod=mod "${GO_BUILD[@]}" -ldflags "-s -w" -o "$BIN_OUT/etcd" go.etcd.io/etcd/server/v3
    "$BIN_OUT/etcd" --version
}

build_containerd() {
    local dir="$SRC/containerd" v="$V_CONTAINERD" m=github.com/containerd/containerd/v2
    wrapper_module "$dir" "$m" "$v"
    cd "$dir"
    GOFLAGS=-mod=mod "${GO_BUILD[@]}" -tags "no_aufs no_zfs no_btrfs no_devmapper" \
        -ldflags "-s -w -X $m/version.Version=$v -X $m/version.Revision=offline" \
        -o "$BIN_OUT/" "$m/cmd/containerd" "$m/cmd/ctr" "$m/cmd/containerd-shim-runc-v2"
    "$BIN_OUT/containerd" --version
}

# go_install NAME PACKAGE@VERSION [BINARY]: `go install` into the cache's bin directory.
go_install() {
    GOBIN="$BIN_OUT" go install -p "$OFFLINE_JOBS" -trimpath -ldflags "-s -w" "$2"
    ls -l "$BIN_OUT/${3:-$1}"
}

build_coredns() { go_install coredns "github.com/coredns/coredns@$V_COREDNS"; }
build_local_path_provisioner() {
    go_install local-path-provisioner "github.com/rancher/local-path-provisioner@$V_LOCAL_PATH_PROVISIONER"
}
build_metrics_server() {
    go_install metrics-server "sigs.k8s.io/metrics-server/cmd/metrics-server@$V_METRICS_SERVER"
}
build_kind() { go_install kind "sigs.k8s.io/kind@$V_KIND"; }
build_helm() {
    local major="${V_HELM%%.*}"
    # helm's version is stamped at release time; `go install` alone says only "v3.22".
    GOBIN="$BIN_OUT" go install -p "$OFFLINE_JOBS" -trimpath \
        -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$V_HELM" \
        "helm.sh/helm/$major/cmd/helm@$V_HELM"
    "$BIN_OUT/helm" version --short
}

# The local registry (helpers/kind/registry.py) from the distribution module. Its version sits
# in its own [registry] section of tools.lock, outside the cache key: bumping it rebuilds only
# this part (the step's name carries the version), never the node image.
build_registry() {
    local version
    version="$(lock_get registry version)"
    mkdir -p "$BIN_OUT/registry-$version"
    GOBIN="$BIN_OUT/registry-$version" go install -p "$OFFLINE_JOBS" -trimpath \
        -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$version" \
        "github.com/distribution/distribution/v3/cmd/registry@$version"
    "$BIN_OUT/registry-$version/registry" --version
}

main() {
    local parts=("$@") part name
    ((${#parts[@]})) || parts=(kubernetes etcd containerd coredns local-path-provisioner metrics-server kind helm)
    need_free_gb 16 "$OFFLINE_CACHE"
    log "cache $OFFLINE_CACHE (Kubernetes $V_KUBERNETES, $(go env GOVERSION))"
    for part in "${parts[@]}"; do
        name="bin-$part"
        [[ "$part" != registry ]] || name+="-$(lock_get registry version)"
        step "$name" "build_${part//-/_}"
    done
}

main "$@"
