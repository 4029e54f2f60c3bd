#!/usr/bin/env bash
# The offline builder's entry points (the Makefile calls these):
#
#   bash cluster/offline/build.sh node-image   # every binary, the images, orchestra/node:<k8s>
#   bash cluster/offline/build.sh tools [DIR]  # kind, kubectl and helm into DIR (default ./bin)
#   bash cluster/offline/build.sh info         # the versions, the cache key and directory
#
# A second run is warm: every part is cached under $OFFLINE_CACHE, keyed by the versions in
# cluster/tools.lock ([offline], kind, metrics-server) and the Go toolchain.
set -euo pipefail
# shellcheck source=cluster/offline/lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

summary() {
    local start="$1"
    log "done in $((SECONDS - start)) s. Cache $OFFLINE_CACHE ($(du -sh "$OFFLINE_CACHE" | cut -f1)); time per part (cold build figures are the first line of each):"
    awk -F'\t' '!seen[$1]++ {printf "  %-28s %5d s  %s\n", $1, $2, $3}' "$TIMINGS" >&2
}

case "${1:-node-image}" in
    node-image)
        start=$SECONDS
        bash "$OFFLINE_DIR/build-binaries.sh"
        bash "$OFFLINE_DIR/build-node.sh"
        summary "$start"
        log "node image: $NODE_IMAGE; a cluster from it: bash cluster/offline/smoke.sh (KEEP=1 keeps it)"
        ;;
    tools)
        dest="${2:-$REPO_DIR/bin}"
        bash "$OFFLINE_DIR/build-binaries.sh" kubernetes kind helm
        mkdir -p "$dest"
        for tool in kind kubectl helm; do
            install -m 0755 "$BIN_OUT/$tool" "$dest/$tool"
        done
        log "installed into $dest: $("$dest/kind" version), kubectl $("$dest/kubectl" version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])'), helm $("$dest/helm" version --short)"
        ;;
    info)
        offline_key_text
        echo "key $OFFLINE_HASH"
        echo "cache $OFFLINE_CACHE"
        echo "node image $NODE_IMAGE"
        ;;
    *)
        die "usage: build.sh node-image | tools [DIR] | info"
        ;;
esac
