#!/usr/bin/env bash
# Smoke test of the offline node image: create the 3-node cluster from cluster/kind.yaml
# (node image $LAB_NODE_IMAGE, the cgroup v1 patch when the Docker host needs it), wait for it on conditions, run a pod from an image inside the node image,
# reach a NodePort on 127.0.0.1:30080 from the host, and delete the cluster.
#
#   bash cluster/offline/smoke.sh              # make node-image first
#   KEEP=1 bash cluster/offline/smoke.sh       # leave the cluster running afterwards
#
# Uses the kind and kubectl the offline builder made (make offline-tools puts them in ./bin).
set -euo pipefail
# shellcheck source=cluster/offline/lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

CLUSTER="${CLUSTER:-orchestra}"
OUT="$OFFLINE_DIR/out"
CONFIG="$OUT/kind-$CLUSTER.yaml"
export KUBECONFIG="${SMOKE_KUBECONFIG:-$OUT/kubeconfig-$CLUSTER}"
KIND="${KIND:-$BIN_OUT/kind}"
KUBECTL="${KUBECTL:-$BIN_OUT/kubectl}"
BUSYBOX_IMAGE="docker.io/orchestra/busybox:stable"
# 300 s: three nodes boot systemd, kubeadm init and two joins on two shared cores.
TIMEOUT="${SMOKE_TIMEOUT:-300s}"
# The kit's Python writes the kind config (helpers.kind.config), as `make cluster` does.
PYTHON="${PYTHON:-$REPO_DIR/.venv/bin/python}"

k() { "$KUBECTL" --context "kind-$CLUSTER" "$@"; }

cleanup() {
    local rc=$?
    if ((rc != 0)); then
        log "FAILED: the cluster's state"
        k get nodes -o wide || true
        k get pods -A -o wide || true
        k get events -A --sort-by=.lastTimestamp 2>/dev/null | tail -n 30 || true
    fi
    if [[ ${KEEP:-0} != 1 ]]; then
        "$KIND" delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
    fi
    exit "$rc"
}

main() {
    [[ -x $KIND && -x $KUBECTL ]] || die "no kind/kubectl in $BIN_OUT: run make node-image"
    docker image inspect "$NODE_IMAGE" >/dev/null 2>&1 || die "no image $NODE_IMAGE: run make node-image"
    if "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
        die "a kind cluster '$CLUSTER' exists already: kind delete cluster --name $CLUSTER (or CLUSTER=other)"
    fi
    mkdir -p "$OUT"
    LAB_NODE_IMAGE="$NODE_IMAGE" "$PYTHON" -m helpers.kind config --out "$CONFIG"
    sed -i "s/^name: .*/name: $CLUSTER/" "$CONFIG"
    trap cleanup EXIT

    local start=$SECONDS
    log "kind create cluster ($NODE_IMAGE, config $CONFIG)"
    "$KIND" create cluster --config "$CONFIG" --kubeconfig "$KUBECONFIG"
    local created=$((SECONDS - start))
    log "created in $created s; waiting for the nodes"
    k wait --for=condition=Ready nodes --all --timeout="$TIMEOUT"
    local ready=$((SECONDS - start))
    k get nodes -o wide
    [[ "$(k get nodes --no-headers | wc -l)" == 3 ]] || die "expected 3 nodes"
    k -n kube-system rollout status deployment/coredns --timeout="$TIMEOUT"
    k -n local-path-storage rollout status deployment/local-path-provisioner --timeout="$TIMEOUT"
    k get pods -A -o wide

    log "the NodePort mapping on the control plane"
    local mapping
    mapping="$(docker port "$CLUSTER-control-plane" 30080/tcp)"
    echo "$mapping"
    [[ $mapping == "127.0.0.1:30080" ]] || die "30080 is mapped to '$mapping', not 127.0.0.1:30080"

    log "a pod from an image inside the node image, on a worker"
    k run smoke --image="$BUSYBOX_IMAGE" --image-pull-policy=Never --restart=Never \
        --overrides='{"spec":{"nodeSelector":{"kubernetes.io/hostname":"'"$CLUSTER"'-worker"}}}' \
        -- sh -c 'echo smoke-ok'
    k wait --for=jsonpath='{.status.phase}'=Succeeded pod/smoke --timeout=120s
    [[ "$(k logs smoke)" == smoke-ok ]] || die "the pod's log is not smoke-ok"

    log "a NodePort Service on 127.0.0.1:30080, served by a pod on the other worker"
    k apply -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {kubernetes.io/hostname: $CLUSTER-worker2}
      containers:
        - name: web
          image: $BUSYBOX_IMAGE
          imagePullPolicy: Never
          command: [busybox, httpd, -f, -p, "8080", -h, /etc]
          readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 8080, nodePort: 30080}]
EOF
    k rollout status deployment/web --timeout=120s
    # kube-proxy programs the rule a moment after the endpoint appears: retry for 30 s.
    local body="" deadline=$((SECONDS + 30))
    until body="$(curl -fsS --max-time 2 http://127.0.0.1:30080/hostname 2>/dev/null)"; do
        ((SECONDS < deadline)) || die "http://127.0.0.1:30080 did not answer"
        sleep 1
    done
    echo "NodePort answered: $body"
    k delete deployment web --wait=false && k delete service web && k delete pod smoke --wait=false
    log "SMOKE OK: cluster created in $created s, all nodes Ready after $ready s"
    printf '%s\t%s\t%s\n' smoke-create "$created" "$(date -u +%FT%TZ)" >>"$TIMINGS"
    printf '%s\t%s\t%s\n' smoke-ready "$ready" "$(date -u +%FT%TZ)" >>"$TIMINGS"
}

main "$@"
