#!/usr/bin/env bash
# The offline builder's entry points (the Makefile calls these):
#
#   bash cluster/offline/build.sh node-image   # every binary, the images, orchestra/node:<k8s>
#   bash cluster/offline/build.sh tools [DIR]  # kind, kubectl and helm into DIR (default ./bin)
#   bash cluster/offline/build.sh registry-image  # orchestra/registry:<version> for helpers.kind.registry
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
    registry-image)
        # The registry kind's local-registry guide runs (registry:3), built here because no
        # registry can be pulled: one static binary, its config and an empty storage root,
        # imported into Docker as one layer.
        version="$(lock_get registry version)"
        image="orchestra/registry:$version"
        bash "$OFFLINE_DIR/build-binaries.sh" registry
        root="$(mktemp -d)"
        trap 'rm -rf "$root"' EXIT
        install -D -m 0755 "$BIN_OUT/registry-$version/registry" "$root/bin/registry"
        install -D -m 0644 "$OFFLINE_DIR/registry/config.yml" "$root/etc/distribution/config.yml"
        mkdir -p "$root/var/lib/registry"
        tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
            docker import \
                --change 'ENTRYPOINT ["/bin/registry"]' \
                --change 'CMD ["serve", "/etc/distribution/config.yml"]' \
                --change 'EXPOSE 5000' \
                --change 'VOLUME ["/var/lib/registry"]' \
                - "$image" >/dev/null
        log "registry image: $image; use it with LAB_LOCAL_REGISTRY_IMAGE=$image python -m helpers.kind registry start"
        echo "$image"
        ;;
    info)
        offline_key_text
        echo "key $OFFLINE_HASH"
        echo "cache $OFFLINE_CACHE"
        echo "node image $NODE_IMAGE"
        ;;
    *)
        die "usage: build.sh node-image | tools [DIR] | registry-image | info"
        ;;
esac
