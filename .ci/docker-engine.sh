#!/usr/bin/env bash
# Bring up a Docker engine and the local base image for the model container test.
#
# Idempotent: every step checks first and skips what is already there, so CI and a
# developer can run it before each `make test`. Needs root (CI runs as root).
#
#   bash .ci/docker-engine.sh            # install, start dockerd, build the base image
#   DOCKER_HOST=... bash .ci/docker-engine.sh   # an engine that is already reachable is used as is
#
# Why a local base image: this machine reaches Debian's packages and PyPI but no container
# registry, so `FROM python:3.12-slim` cannot be pulled. debootstrap builds a minimal Debian
# bookworm rootfs with python3 + venv, and `docker import` turns it into
# orchestra/base:bookworm-python, which the Dockerfile takes through `--build-arg BASE_IMAGE`.
set -euo pipefail

BASE_IMAGE="${ORCHESTRA_BASE_IMAGE:-orchestra/base:bookworm-python}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/orchestra-dockerd.log}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# 90 s: dockerd needs a few seconds normally; vfs setup on a cold disk can take longer.
DOCKERD_TIMEOUT="${DOCKERD_TIMEOUT:-90}"

log() { printf '[docker-engine] %s\n' "$*" >&2; }

install_packages() {
    if command -v dockerd >/dev/null && command -v debootstrap >/dev/null; then
        return
    fi
    log "installing docker.io and debootstrap from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io debootstrap ca-certificates \
        iproute2 >/dev/null
}

wait_for_engine() {
    # Poll `docker info` until it answers or the daemon dies; never a blind sleep.
    local pid="$1" deadline=$((SECONDS + DOCKERD_TIMEOUT))
    while ((SECONDS < deadline)); do
        if docker info >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.5
    done
    return 1
}

remove_stale_pidfile() {
    # A daemon that was killed (a session ended) leaves its pid file behind; dockerd then
    # refuses to start (docker.pid) or waits on a dead containerd (containerd.pid) until
    # it times out. Remove the file unless its pid is a live process named $2; a zombie
    # (state Z, never reaped after the kill) counts as dead.
    local pidfile="$1" name="$2" pid state comm
    [[ -f $pidfile ]] || return 0
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ -n $pid && -r /proc/$pid/stat ]]; then
        comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
        state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
        if [[ $comm == "$name" && $state != Z ]]; then
            return 0
        fi
    fi
    log "removing stale $pidfile (pid ${pid:-?} is not a running $name)"
    rm -f "$pidfile"
}

remove_stale_pidfiles() {
    remove_stale_pidfile /var/run/docker.pid dockerd
    remove_stale_pidfile /var/run/docker/containerd/containerd.pid containerd
}

start_dockerd() {
    if docker info >/dev/null 2>&1; then
        log "engine already reachable: $(docker info --format '{{.ServerVersion}} {{.Driver}}')"
        return
    fi
    remove_stale_pidfiles
    # This sandbox has no iptables NAT for bridge networking; containers run with host
    # networking (the test binds its server to 127.0.0.1). overlay2 first; vfs only when
    # the log shows that overlay mounts are refused (vfs copies every layer: slow, big).
    local driver pid
    for driver in ${DOCKERD_STORAGE_DRIVERS:-overlay2 vfs}; do
        log "starting dockerd (storage driver $driver), log in $DOCKERD_LOG"
        local mark
        mark=$(wc -l <"$DOCKERD_LOG" 2>/dev/null || echo 0)
        nohup dockerd --storage-driver="$driver" --iptables=false --ip6tables=false \
            --bridge=none >>"$DOCKERD_LOG" 2>&1 &
        pid=$!
        if wait_for_engine "$pid"; then
            log "engine up: $(docker info --format '{{.ServerVersion}} {{.Driver}}')"
            return
        fi
        log "dockerd with $driver did not come up; its log says:"
        tail -n +"$((mark + 1))" "$DOCKERD_LOG" | tail -n 5 >&2 || true
        kill "$pid" 2>/dev/null || true
        # Wait for the pid to go away so the next attempt can take the socket and lock.
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        if ! tail -n +"$((mark + 1))" "$DOCKERD_LOG" | grep -qiE 'overlay|storage driver|graphdriver'; then
            break # not a storage problem: another driver would not help
        fi
        remove_stale_pidfiles
    done
    log "dockerd did not start; see $DOCKERD_LOG"
    exit 1
}

build_base_image() {
    if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        log "base image $BASE_IMAGE present"
        return
    fi
    local rootfs
    rootfs="$(mktemp -d /var/tmp/orchestra-rootfs.XXXXXX)"
    trap 'rm -rf "$rootfs"' RETURN
    log "debootstrap bookworm into $rootfs (a few minutes)"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$rootfs" "$DEBIAN_MIRROR" >/var/tmp/orchestra-debootstrap.log 2>&1 || {
        tail -n 20 /var/tmp/orchestra-debootstrap.log >&2
        exit 1
    }
    # The host's CA bundle carries this machine's egress CA; pip inside `docker build`
    # needs it to reach PyPI. On a machine without one it is just Debian's bundle.
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    # Trim what a runtime base never uses: downloaded .debs, apt lists, docs, locales.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' \
        -exec rm -rf {} + 2>/dev/null || true
    log "importing $rootfs as $BASE_IMAGE"
    tar -C "$rootfs" -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["python3"]' \
        - "$BASE_IMAGE" >/dev/null
    log "built $BASE_IMAGE ($(docker image inspect "$BASE_IMAGE" --format '{{.Size}}') bytes)"
}

install_packages
start_dockerd
build_base_image
