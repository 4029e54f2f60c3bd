#!/usr/bin/env bash
# make test-kind: the real-cluster tier. Creates the course's kind cluster (from the offline
# node image when kind's own cannot be pulled), builds and loads the model images, runs the
# backend contract suite and tests/integration on it, the lab notebooks with the instructor
# answers (nbval-lax), and the kind report (test-artifacts/kind-report.json), then deletes
# the cluster. Every step prints its time; the summary table comes last.
#
#   make test-kind                      # everything
#   KIND_TIER_STEPS="cluster tests" make test-kind   # some steps (cluster is implied)
#   KIND_TIER_KEEP=1 make test-kind     # leave the cluster running afterwards
#
# Needs Docker (and, on CI's VM, .ci/kind-host.sh first). Fails on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
ARTIFACTS=test-artifacts
STEPS="${KIND_TIER_STEPS:-images tests report notebooks}"
NODE_IMAGE_OFFLINE=orchestra/node:v1.36.1
MIN_FREE_GB="${KIND_TIER_MIN_FREE_GB:-10}"
mkdir -p "$ARTIFACTS"
TIMINGS="$ARTIFACTS/kind-tier-timings.tsv"
: >"$TIMINGS"

log() { printf '[test-kind] %s\n' "$*" >&2; }

step() {
    # step NAME COMMAND...: run it, record its wall time, stop the tier if it fails.
    # A subshell with errexit: inside `f || ...` bash would ignore failures within f.
    local name="$1" start=$SECONDS rc=0
    shift
    log "== $name"
    (set -e; "$@") || rc=$?
    printf '%s\t%s\t%s\n' "$name" "$((SECONDS - start))" "$rc" >>"$TIMINGS"
    log "   $name: $((SECONDS - start)) s (exit $rc)"
    return "$rc"
}

wants() { [[ " $STEPS " == *" $1 "* ]]; }

summary() {
    log "== summary (seconds)"
    column -t "$TIMINGS" >&2 || cat "$TIMINGS" >&2
}

check_disk() {
    local free_gb
    free_gb=$(df -P -BG . | awk 'NR == 2 { sub("G", "", $4); print $4 }')
    if ((free_gb < MIN_FREE_GB)); then
        log "only ${free_gb} GB free here; the node image, its caches and the model images need ${MIN_FREE_GB} GB."
        log "free some space (docker system prune; ~/.cache/orchestra-offline) and run it again."
        return 1
    fi
    log "free disk: ${free_gb} GB"
}

node_image() {
    # kind's pinned image when the engine has it (or can pull it); else the offline build.
    # Writes the image's name to $ARTIFACTS/node-image ("" for kind's pinned one).
    if [[ -n "${LAB_NODE_IMAGE:-}" ]]; then
        log "node image: $LAB_NODE_IMAGE (LAB_NODE_IMAGE)"
        echo "$LAB_NODE_IMAGE" >"$ARTIFACTS/node-image"
        return
    fi
    local pinned
    pinned=$(awk -F'"' '/^image = "kindest/ { print $2 }' cluster/tools.lock)
    if docker image inspect "$pinned" >/dev/null 2>&1 || timeout 60 docker pull "$pinned" >/dev/null 2>&1; then
        log "node image: $pinned (kind's own)"
        : >"$ARTIFACTS/node-image"
        return
    fi
    log "kind's node image cannot be pulled here: building $NODE_IMAGE_OFFLINE (make node-image)"
    make node-image
    echo "$NODE_IMAGE_OFFLINE" >"$ARTIFACTS/node-image"
}

tools() {
    # The pinned kind and kubectl: downloaded by make cluster where the network allows,
    # built from their Go modules otherwise (make offline-tools).
    if [[ -x bin/kind && -x bin/kubectl && -x bin/helm ]]; then
        return
    fi
    if [[ "${LAB_NODE_IMAGE:-}" == "$NODE_IMAGE_OFFLINE" ]]; then
        make offline-tools
    fi
}

create_cluster() {
    "$BIN/python" -m helpers.kind delete >/dev/null 2>&1 || true
    "$BIN/python" -m helpers.kind create
    dns_without_upstream
}

# HOST WORKAROUND (CI machines without internet; students never run it): when the nodes'
# resolver cannot reach any upstream DNS server, CoreDNS forwards every name outside
# cluster.local there and waits ~20 s, so a pod looking up a name no Service has (lab 08's
# gateway) times out instead of failing at once as on a connected machine. Only then is the
# forward dropped from the Corefile: such names get SERVFAIL at once ("Temporary failure in
# name resolution"), cluster names resolve as before.
dns_without_upstream() {
    local rc=0
    docker exec orchestra-control-plane timeout 4 getent hosts orchestra-dns-probe.invalid \
        >/dev/null 2>&1 || rc=$?
    [[ $rc == 124 ]] || return 0
    log "host workaround: the nodes reach no upstream DNS; CoreDNS stops forwarding"
    local corefile
    corefile=$(bin/kubectl --context kind-orchestra -n kube-system get configmap coredns \
        -o jsonpath='{.data.Corefile}')
    "$BIN/python" - "$corefile" >"$ARTIFACTS/coredns-patch.json" <<'PY'
import json, re, sys
corefile = re.sub(r"\n *forward \. /etc/resolv\.conf \{.*?\n *\}", "", sys.argv[1], flags=re.S)
print(json.dumps({"data": {"Corefile": corefile}}))
PY
    bin/kubectl --context kind-orchestra -n kube-system patch configmap coredns --type merge \
        --patch-file "$ARTIFACTS/coredns-patch.json" >/dev/null
    bin/kubectl --context kind-orchestra -n kube-system rollout restart deployment/coredns >/dev/null
    bin/kubectl --context kind-orchestra -n kube-system rollout status deployment/coredns \
        --timeout=120s >/dev/null
}

delete_cluster() {
    if [[ "${KIND_TIER_KEEP:-0}" == 1 ]]; then
        log "KIND_TIER_KEEP=1: the cluster stays (make cluster-delete removes it)"
        return
    fi
    "$BIN/python" -m helpers.kind delete || true
}

# Offline engines build FROM the local base image (.ci/docker-engine.sh makes it): the
# images step and lab 01's build in the notebooks step both need it.
if docker image inspect orchestra/base:bookworm-python >/dev/null 2>&1; then
    export LAB_BASE_IMAGE="${LAB_BASE_IMAGE:-orchestra/base:bookworm-python}"
    export LAB_BUILD_NETWORK="${LAB_BUILD_NETWORK:-host}"
fi

images() {
    "$BIN/python" -m helpers.kind images build --load
}

tests() {
    # tests/integration/test_registry.py runs a local registry beside the cluster: kind's
    # guide's registry:3 when the engine has it, else the same program built from its Go
    # module (make registry-image; cached like the node image).
    if [[ -z "${LAB_LOCAL_REGISTRY_IMAGE:-}" ]] && ! docker image inspect registry:3 >/dev/null 2>&1; then
        LAB_LOCAL_REGISTRY_IMAGE="$(make --no-print-directory registry-image | tail -n 1)"
        export LAB_LOCAL_REGISTRY_IMAGE
    fi
    LAB_BACKEND=kind LAB_REQUIRE_KIND=1 "$BIN/pytest" -p no:cacheprovider \
        -o testpaths=tests tests/contract tests/integration \
        tests/sim/test_kubectl_conformance.py::test_conformance_on_kind_read_only \
        --junitxml="$ARTIFACTS/kind-tests.xml"
}

notebooks() {
    # 900 s per cell, for pytest-timeout too (its default here is 300 s): lab 04's node loss
    # waits the 20 s grace period plus 300 s of tolerations on a real cluster.
    # LAB_SPEED=virtual: a real cluster ignores it; said so the run never depends on it.
    # LAB_STRICT_CHECKS=1: nbval-lax compares no outputs, so a check that shows ✗ for the
    # instructors' answer raises instead (helpers/checks/result.py) and fails its cell.
    LAB_BACKEND=kind LAB_AUTOSOLVE=1 LAB_SPEED=virtual LAB_STRICT_CHECKS=1 "$BIN/pytest" -p no:cacheprovider --nbval-lax \
        --nbval-current-env --nbval-cell-timeout=900 --timeout=900 -o testpaths=labs labs/ \
        --junitxml="$ARTIFACTS/kind-notebooks.xml"
}

report() {
    local created
    created=$(awk -F'\t' '$1 == "cluster" { print $2 }' "$TIMINGS")
    # --strict: a figure outside its stated tolerance fails the tier, naming the figure.
    "$BIN/python" bench/kind_report.py --backend kind --strict --out "$ARTIFACTS/kind-report.json" \
        ${created:+--created-s "$created"}
}

trap 'summary' EXIT
step disk check_disk
step node-image node_image
LAB_NODE_IMAGE=$(cat "$ARTIFACTS/node-image")
export LAB_NODE_IMAGE
step tools tools
trap 'delete_cluster; summary' EXIT
step cluster create_cluster
# The report before the notebooks: its figures are wanted even when a notebook fails.
for name in images tests report notebooks; do
    if wants "$name"; then
        step "$name" "$name"
    fi
done
