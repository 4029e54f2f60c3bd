# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Shared by the offline builder's scripts (sourced, never run): the pinned versions from
# cluster/tools.lock, the cache directory keyed by their hash, progress and timings.
#
#   OFFLINE_CACHE   the cache for this set of versions
#                   (default ${XDG_CACHE_HOME:-$HOME/.cache}/orchestra-offline/<hash>)
#   OFFLINE_JOBS    go build -p (default 2: the course machines have two cores)

OFFLINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$OFFLINE_DIR/../.." && pwd)"
LOCK_FILE="$REPO_DIR/cluster/tools.lock"

# lock_get SECTION KEY: one value from cluster/tools.lock (TOML, read with Python's tomllib).
lock_get() {
    python3 - "$LOCK_FILE" "$1" "$2" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as handle:
    print(tomllib.load(handle)[sys.argv[2]][sys.argv[3]])
EOF
}

# Every version at once (one Python start instead of twelve).
eval "$(python3 - "$LOCK_FILE" <<'EOF'
import shlex, sys, tomllib
with open(sys.argv[1], "rb") as handle:
    lock = tomllib.load(handle)
values = {f"V_{k.upper().replace('-', '_')}": v for k, v in lock["offline"].items()}
values["V_KIND"] = lock["kind"]["version"]
values["V_METRICS_SERVER"] = lock["metrics-server"]["version"]
for name, value in sorted(values.items()):
    print(f"{name}={shlex.quote(str(value))}")
EOF
)"
# The staging modules (k8s.io/api, ...) are published as v0.MINOR.PATCH for v1.MINOR.PATCH.
V_STAGING="v0.${V_KUBERNETES#v1.}"

# The cache key: every pinned version, the Go toolchain (it changes the binaries) and the
# recipe number. The first 16 hex digits of the SHA-256 are plenty to tell sets apart.
offline_key_text() {
    set | grep -E '^V_[A-Z_]+=' | sort
    go env GOVERSION GOARCH
}
OFFLINE_HASH="$(offline_key_text | sha256sum | cut -c1-16)"
OFFLINE_CACHE="${OFFLINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orchestra-offline/$OFFLINE_HASH}"
OFFLINE_JOBS="${OFFLINE_JOBS:-2}"
NODE_IMAGE="${LAB_NODE_IMAGE:-orchestra/node:$V_KUBERNETES}"

# The Go caches live in the versioned cache too, so a warm run on this machine rebuilds
# nothing and a wiped cache is a clean cold build.
export GOMODCACHE="$OFFLINE_CACHE/go/mod" GOCACHE="$OFFLINE_CACHE/go/build"
export GOPATH="$OFFLINE_CACHE/go/path" GOTOOLCHAIN=local CGO_ENABLED=0
BIN_OUT="$OFFLINE_CACHE/bin"
IMAGES_OUT="$OFFLINE_CACHE/images"
STAMPS="$OFFLINE_CACHE/stamps"
LOGS="$OFFLINE_CACHE/logs"
TIMINGS="$OFFLINE_CACHE/timings.tsv"
mkdir -p "$BIN_OUT" "$IMAGES_OUT" "$STAMPS" "$LOGS"

log() { printf '[offline %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

# fingerprint PATH...: one hash of the files under PATHs (names and contents). Names are
# taken relative to the checkout, so every clone of one commit shares the cache (CI builds
# in a fresh clone each time).
fingerprint() {
    local root
    root="$(cd "$OFFLINE_DIR/../.." && pwd)/"
    find "$@" -type f -print0 | sort -z | xargs -0 sha256sum | sed "s|  $root|  |" |
        sha256sum | cut -c1-16
}

# step NAME CMD...: run CMD once per cache (a stamp marks success), with its output in
# $LOGS/NAME.log, a progress line before and the elapsed time after (kept in timings.tsv).
# STEP_INPUTS (paths) are fingerprinted into the stamp: editing one runs the step again.
# OFFLINE_FORCE=NAME (or "all") runs it again.
step() {
    local name="$1" start rc inputs=""
    shift
    if [[ -n ${STEP_INPUTS:-} ]]; then
        # shellcheck disable=SC2086 # a list of paths
        inputs="$(fingerprint $STEP_INPUTS)"
    fi
    if [[ -f $STAMPS/$name && "$(cat "$STAMPS/$name")" == "$inputs" &&
        ${OFFLINE_FORCE:-} != all && ${OFFLINE_FORCE:-} != "$name" ]]; then
        log "$name: cached"
        return 0
    fi
    log "$name: building (log: $LOGS/$name.log)"
    start=$SECONDS
    rc=0
    # In the background and waited for: a function called from `cmd || ...` runs with
    # set -e switched off, so a failing command inside would not stop it.
    ("$@") >"$LOGS/$name.log" 2>&1 &
    wait $! || rc=$?
    if ((rc != 0)); then
        log "$name: FAILED after $((SECONDS - start)) s; the end of its log:"
        tail -n 25 "$LOGS/$name.log" >&2
        exit "$rc"
    fi
    printf '%s\t%s\t%s\n' "$name" "$((SECONDS - start))" "$(date -u +%FT%TZ)" >>"$TIMINGS"
    echo "$inputs" >"$STAMPS/$name"
    log "$name: done in $((SECONDS - start)) s"
}

# need_free_gb GB DIR: stop early with a clear message instead of failing mid-build.
# A cold cache grows to about 14 GB (Go build cache 7, modules 3.6, binaries, images,
# rootfs); once the Kubernetes build is cached, a few GB are enough.
need_free_gb() {
    local want="$1" dir="$2" have
    [[ -f $STAMPS/bin-kubernetes ]] && want=3
    mkdir -p "$dir"
    have=$(($(df -Pk "$dir" | awk 'NR==2 {print $4}') / 1024 / 1024))
    if ((have < want)); then
        die "only ${have} GB free on $(df -P "$dir" | awk 'NR==2 {print $6}') (for $dir); the offline build needs about ${want} GB (a cold cache takes about 14 GB). Free some space or point OFFLINE_CACHE at a bigger disk."
    fi
}
