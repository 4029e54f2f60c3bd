#!/usr/bin/env bash
# Assemble the kind node image from the binaries build-binaries.sh made, with no registry:
#
#   1. node-base     a Debian rootfs (debootstrap): systemd, runc, iptables, the CNI plugins
#   2. node-images   the images kubeadm and kind run (kube-apiserver, etcd, coredns, pause,
#                    ...) as OCI archives, each a static binary in one layer (mkimage.py)
#   3. node-rootfs   base + our files (cluster/offline/node) + the binaries, and the images
#                    imported into containerd's k8s.io namespace by a containerd run on the
#                    host against the rootfs (no privileged container needed)
#   4. docker import of that rootfs as $NODE_IMAGE (default orchestra/node:v1.36.1)
#
#   bash cluster/offline/build-node.sh [PART...]   # base pause images rootfs docker (default: all)
set -euo pipefail
# shellcheck source=cluster/offline/lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ROOTFS_BASE="$OFFLINE_CACHE/rootfs/base"
ROOTFS_NODE="$OFFLINE_CACHE/rootfs/node"
ARCH="$(go env GOARCH)"

# The images the node must hold, as "reference binary [path-in-image]". The references are
# exactly what kubeadm asks for (checked against `kubeadm config images list` below), plus
# what the kit's own manifests run.
KUBEADM_IMAGES=(
    "registry.k8s.io/kube-apiserver:$V_KUBERNETES kube-apiserver"
    "registry.k8s.io/kube-controller-manager:$V_KUBERNETES kube-controller-manager"
    "registry.k8s.io/kube-scheduler:$V_KUBERNETES kube-scheduler"
    "registry.k8s.io/etcd:${V_ETCD#v}-0 etcd"
    "registry.k8s.io/coredns/coredns:$V_COREDNS coredns"
)
LOCAL_PATH_IMAGE="docker.io/rancher/local-path-provisioner:$V_LOCAL_PATH_PROVISIONER"
METRICS_SERVER_IMAGE="registry.k8s.io/metrics-server/metrics-server:$V_METRICS_SERVER"
# busybox from Debian's busybox-static: the local-path helper pod and the smoke test.
BUSYBOX_IMAGE="docker.io/orchestra/busybox:stable"

# What a kind node runs besides Kubernetes: systemd as PID 1 (and D-Bus for the kubelet's
# and runc's systemd cgroup driver), runc, iptables/conntrack for kube-proxy's and the CNI
# plugins' rules, and the tools kubeadm and kind call (mount, ethtool, socat, pgrep, ...).
NODE_PACKAGES=(
    systemd systemd-sysv dbus libseccomp2 runc containernetworking-plugins
    iptables nftables conntrack ethtool socat iproute2 util-linux mount kmod procps
    ca-certificates busybox-static
)
# Units a container must not start: udev would act on the host's devices, the rest wait
# on hardware or consoles a container lacks.
MASKED_UNITS=(
    systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
    systemd-udev-trigger.service systemd-modules-load.service systemd-remount-fs.service
    systemd-firstboot.service systemd-hwdb-update.service getty@tty1.service
    serial-getty@.service console-getty.service getty.target
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer
    sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount
    sys-fs-fuse-connections.mount dev-hugepages.mount systemd-journald-audit.socket
)

build_base() {
    command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
    rm -rf "$ROOTFS_BASE"
    mkdir -p "$ROOTFS_BASE"
    local include
    include="$(IFS=,; echo "${NODE_PACKAGES[*]}")"
    debootstrap --variant=minbase --include="$include" "$V_DEBIAN" "$ROOTFS_BASE" "$DEBIAN_MIRROR"
    # Trim what a node never reads: downloaded packages, apt lists, docs, man pages.
    rm -rf "$ROOTFS_BASE"/var/lib/apt/lists/* "$ROOTFS_BASE"/var/cache/apt/archives/*.deb \
        "$ROOTFS_BASE"/usr/share/doc/* "$ROOTFS_BASE"/usr/share/man/* "$ROOTFS_BASE"/usr/share/info/*
    du -sh "$ROOTFS_BASE"
}

build_pause() {
    gcc -static -Os -Wall -Wextra -Werror -DPAUSE_VERSION="\"$V_PAUSE\"" \
        -o "$BIN_OUT/pause" "$OFFLINE_DIR/pause/pause.c"
    strip "$BIN_OUT/pause"
    "$BIN_OUT/pause" --version
}

# libs_of ROOTFS BINARY...: what an image needs to run Debian's dynamic BINARYs: lines
# "add SRC:DEST" for each file (the binaries, their libraries, the loader) at its real path,
# and "link PATH:REAL" where the name the loader looks for differs. Paths are resolved with
# the rootfs's own ldd. The image gets bookworm's merged /usr (/lib -> usr/lib, ...).
libs_of() {
    local rootfs="$1" path real norm
    shift
    for path in "$@"; do
        echo "$path"
        chroot "$rootfs" ldd "$path" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}'
    done | sort -u | while read -r path; do
        real="$(chroot "$rootfs" readlink -f "$path")"
        echo "add $rootfs$real:$real"
        norm="$path"
        case "$path" in /lib/* | /lib64/* | /bin/* | /sbin/*) norm="/usr$path" ;; esac
        if [[ $norm != "$real" ]]; then echo "link $norm:$real"; fi
    done | sort -u
}

mkimage() { python3 "$OFFLINE_DIR/mkimage.py" --arch "$ARCH" "$@"; }

build_images() {
    rm -rf "$IMAGES_OUT" && mkdir -p "$IMAGES_OUT"
    local spec ref bin
    for spec in "${KUBEADM_IMAGES[@]}"; do
        read -r ref bin <<<"$spec"
        if [[ $bin == coredns ]]; then
            # kubeadm's CoreDNS Deployment gives only args: the image supplies the command.
            mkimage --name "$ref" --out "$IMAGES_OUT/$bin.tar" --add "$BIN_OUT/$bin:/coredns" \
                --entrypoint /coredns
        else
            # kubeadm's static pods name the command (`kube-apiserver ...`): it is on PATH.
            mkimage --name "$ref" --out "$IMAGES_OUT/$bin.tar" --add "$BIN_OUT/$bin:/usr/local/bin/$bin"
        fi
    done
    mkimage --name "registry.k8s.io/pause:$V_PAUSE" --out "$IMAGES_OUT/pause.tar" \
        --add "$BIN_OUT/pause:/pause" --entrypoint /pause
    # kube-proxy programs the node through iptables and conntrack: Debian's, with their libraries
    # and the iptables extensions (loaded at run time). `iptables` is the nft backend, as on
    # the node itself, so kube-proxy's rules and the CNI plugins' rules live in one place.
    local adds=() links=() kind spec xt name xts=()
    # The extensions (statistic, comment, ...) are loaded at run time and have libraries of
    # their own (libm for statistic): they are resolved like the binaries.
    for xt in "$ROOTFS_BASE"/usr/lib/*/xtables/*.so; do xts+=("${xt#"$ROOTFS_BASE"}"); done
    while read -r kind spec; do
        if [[ $kind == add ]]; then adds+=(--add "$spec"); else links+=(--link "$spec"); fi
    done < <(libs_of "$ROOTFS_BASE" /usr/sbin/xtables-nft-multi /usr/sbin/conntrack "${xts[@]}")
    for name in lib lib64 bin sbin; do links+=(--link "/$name:usr/$name"); done
    for name in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
        links+=(--link "/usr/sbin/$name:xtables-nft-multi")
    done
    mkimage --name "registry.k8s.io/kube-proxy:$V_KUBERNETES" --out "$IMAGES_OUT/kube-proxy.tar" \
        --add "$BIN_OUT/kube-proxy:/usr/local/bin/kube-proxy" "${adds[@]}" "${links[@]}"
    # busybox: a shell and coreutils in 2 MB, for the local-path helper pod and tests.
    local applet applets=()
    for applet in sh mkdir rm ls cat echo sleep true env chmod; do
        applets+=(--link "/bin/$applet:busybox")
    done
    mkimage --name "$BUSYBOX_IMAGE" --out "$IMAGES_OUT/busybox.tar" \
        --add "$ROOTFS_BASE/bin/busybox:/bin/busybox" "${applets[@]}" --cmd sh
    mkimage --name "$LOCAL_PATH_IMAGE" --out "$IMAGES_OUT/local-path-provisioner.tar" \
        --add "$BIN_OUT/local-path-provisioner:/usr/bin/local-path-provisioner" \
        --entrypoint local-path-provisioner
    # OFFLINE_WITHOUT_METRICS_SERVER=1: a node image without it, while its build still runs.
    if [[ ${OFFLINE_WITHOUT_METRICS_SERVER:-0} != 1 ]]; then
        mkimage --name "$METRICS_SERVER_IMAGE" --out "$IMAGES_OUT/metrics-server.tar" \
            --add "$BIN_OUT/metrics-server:/metrics-server" --entrypoint /metrics-server --user 65534
    fi
    ls -l "$IMAGES_OUT"
}

# Every image `kubeadm config images list` names must be among ours: a missing one would be
# pulled from a registry when the cluster starts, and that fails offline.
check_kubeadm_images() {
    local wanted ref ours=()
    for ref in "${KUBEADM_IMAGES[@]}"; do ours+=("${ref%% *}"); done
    ours+=("registry.k8s.io/pause:$V_PAUSE" "registry.k8s.io/kube-proxy:$V_KUBERNETES")
    wanted="$("$BIN_OUT/kubeadm" config images list --kubernetes-version "$V_KUBERNETES")"
    echo "$wanted"
    for ref in $wanted; do
        printf '%s\n' "${ours[@]}" | grep -qxF "$ref" || die "kubeadm wants $ref, which the node image does not have"
    done
}

# import_images ROOTFS: a containerd of our own build, run on the host with its root in the
# node's /var/lib/containerd, unpacks every archive for the overlayfs snapshotter.
import_images() {
    local rootfs="$1" tmp pid archive
    tmp="$(mktemp -d /tmp/orchestra-containerd.XXXXXX)"
    cat >"$tmp/config.toml" <<EOF
version = 3
root = "$rootfs/var/lib/containerd"
state = "$tmp/state"
# Only the content store, metadata and snapshotter are needed here, not the CRI.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images", "io.containerd.podsandbox.controller.v1.podsandbox", "io.containerd.nri.v1.nri"]
[grpc]
  address = "$tmp/containerd.sock"
[ttrpc]
  address = "$tmp/containerd.sock.ttrpc"
[debug]
  address = "$tmp/debug.sock"
EOF
    "$BIN_OUT/containerd" --config "$tmp/config.toml" >"$LOGS/import-containerd.log" 2>&1 &
    pid=$!
    local deadline=$((SECONDS + 60))
    until "$BIN_OUT/ctr" --address "$tmp/containerd.sock" version >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || die "containerd for the import died: $(tail -n 5 "$LOGS/import-containerd.log")"
        ((SECONDS < deadline)) || die "containerd for the import did not answer in 60 s"
        sleep 0.2
    done
    for archive in "$IMAGES_OUT"/*.tar; do
        "$BIN_OUT/ctr" --address "$tmp/containerd.sock" -n k8s.io images import \
            --snapshotter overlayfs --platform "linux/$ARCH" --local --discard-unpacked-layers "$archive"
    done
    # The layers are unpacked into snapshots: their tar blobs would double the image's size.
    # Removing a throwaway tag with --sync runs the garbage collector now, which drops them.
    local ctr=("$BIN_OUT/ctr" --address "$tmp/containerd.sock" -n k8s.io)
    "${ctr[@]}" images tag "registry.k8s.io/pause:$V_PAUSE" orchestra.local/gc:now >/dev/null
    "${ctr[@]}" images rm --sync orchestra.local/gc:now >/dev/null
    "${ctr[@]}" images ls -q
    kill "$pid"
    wait "$pid" || true
    # Mounts left by an interrupted unpack would ride along into the image.
    if grep -q "$rootfs" /proc/mounts; then die "mounts left under $rootfs"; fi
    rm -rf "$tmp"
}

build_rootfs() {
    rm -rf "$ROOTFS_NODE"
    cp -a "$ROOTFS_BASE" "$ROOTFS_NODE"
    # Our files: systemd units, containerd config, sysctls, the entrypoint, kind's manifests.
    cp -a "$OFFLINE_DIR/node/." "$ROOTFS_NODE/"
    local bin
    for bin in kubelet kubeadm kubectl containerd ctr containerd-shim-runc-v2; do
        install -m 0755 "$BIN_OUT/$bin" "$ROOTFS_NODE/usr/local/bin/$bin"
    done
    echo "$V_KUBERNETES" >"$ROOTFS_NODE/kind/version"
    sed -e "s|@LOCAL_PATH_IMAGE@|$LOCAL_PATH_IMAGE|g" -e "s|@BUSYBOX_IMAGE@|$BUSYBOX_IMAGE|g" \
        "$OFFLINE_DIR/node/kind/manifests/default-storage.yaml" \
        >"$ROOTFS_NODE/kind/manifests/default-storage.yaml"
    # The CNI plugins are Debian's (/usr/lib/cni); the usual /opt/cni/bin points there too.
    mkdir -p "$ROOTFS_NODE/opt/cni" "$ROOTFS_NODE/etc/cni/net.d"
    ln -sfn /usr/lib/cni "$ROOTFS_NODE/opt/cni/bin"
    # systemd: boot to multi-user with containerd and the kubelet; no units that need hardware.
    systemctl --root="$ROOTFS_NODE" set-default multi-user.target
    systemctl --root="$ROOTFS_NODE" enable containerd.service kubelet.service orchestra-cni.service
    systemctl --root="$ROOTFS_NODE" mask "${MASKED_UNITS[@]}"
    # Each node makes its own machine ID at start (the entrypoint); an empty file, not none,
    # keeps systemd from treating the first boot as a fresh install.
    : >"$ROOTFS_NODE/etc/machine-id"
    rm -f "$ROOTFS_NODE/var/lib/dbus/machine-id"
    check_kubeadm_images
    import_images "$ROOTFS_NODE"
    du -sh "$ROOTFS_NODE"
}

# The Docker image: skipped when Docker already has it from this very cache key.
build_docker_image() {
    local have label
    label="$OFFLINE_HASH-$(cat "$STAMPS/node-rootfs")"
    have="$(docker image inspect "$NODE_IMAGE" --format '{{index .Config.Labels "org.orchestra.offline.key"}}' 2>/dev/null || true)"
    if [[ $have == "$label" && ${OFFLINE_FORCE:-} != all && ${OFFLINE_FORCE:-} != docker ]]; then
        log "$NODE_IMAGE: present in Docker (label $label)"
        return
    fi
    log "$NODE_IMAGE: docker import of $ROOTFS_NODE"
    local start=$SECONDS
    local rootfs_ref="orchestra/node-rootfs:$OFFLINE_HASH"
    tar -C "$ROOTFS_NODE" --numeric-owner -c . | docker import - "$rootfs_ref" >/dev/null
    # The image's metadata in a build with no layers of its own (docker import cannot set a
    # STOPSIGNAL; systemd halts cleanly on SIGRTMIN+3, e.g. when the node-loss lab stops a
    # node). The legacy builder needs nothing but the local image.
    DOCKER_BUILDKIT=0 docker build -q -t "$NODE_IMAGE" - >/dev/null 2>"$LOGS/docker-build.log" <<EOF
FROM $rootfs_ref
ENV container=docker
ENTRYPOINT ["/usr/local/bin/orchestra-entrypoint", "/sbin/init"]
STOPSIGNAL SIGRTMIN+3
LABEL org.orchestra.offline.key="$label" org.orchestra.kubernetes.version="$V_KUBERNETES"
EOF
    docker rmi "$rootfs_ref" >/dev/null
    printf '%s\t%s\t%s\n' docker-import "$((SECONDS - start))" "$(date -u +%FT%TZ)" >>"$TIMINGS"
    log "$NODE_IMAGE: imported in $((SECONDS - start)) s, $(docker image inspect "$NODE_IMAGE" --format '{{.Size}}' | numfmt --to=iec) "
}

main() {
    local parts=("$@") part
    ((${#parts[@]})) || parts=(base pause images rootfs docker)
    need_free_gb 16 "$OFFLINE_CACHE"
    for part in "${parts[@]}"; do
        case "$part" in
            base) step node-base build_base ;;
            pause) STEP_INPUTS="$OFFLINE_DIR/pause" step node-pause build_pause ;;
            # Our files and scripts are inputs: an edit rebuilds the images and the rootfs.
            images) STEP_INPUTS="$OFFLINE_DIR/mkimage.py $OFFLINE_DIR/build-node.sh $STAMPS/node-pause" \
                step node-images build_images ;;
            rootfs) STEP_INPUTS="$OFFLINE_DIR/node $OFFLINE_DIR/build-node.sh $STAMPS/node-images" \
                step node-rootfs build_rootfs ;;
            docker)
                docker info >/dev/null 2>&1 || die "Docker is not reachable: start it (CI: bash .ci/kind-host.sh)"
                build_docker_image
                ;;
            *) die "unknown part $part (base, pause, images, rootfs, docker)" ;;
        esac
    done
}

main "$@"
