#!/usr/bin/env bash
# HOST WORKAROUNDS for running kind on the CI machine. Not for students: a laptop with
# Docker Desktop or a normal Linux Docker needs none of this.
#
#   bash .ci/kind-host.sh        # idempotent; then bash .ci/docker-engine.sh is run for you
#
# 1. CAP_SYS_RESOURCE. This VM's capability bounding set lacks it, and `docker run
#    --privileged` (kind always uses it) asks runc for every capability, so every kind node
#    fails with "unable to apply caps: operation not permitted". A runc wrapper, registered
#    as dockerd's default runtime, removes that one capability from the container's OCI
#    config before calling the real runc. Installed only when the capability is missing.
#    (Inside the nodes, the node image's entrypoint then tells containerd to restrict
#    oom_score_adj, which needs the same capability.)
# 2. inotify limits: kind's known issue for multi-node clusters ("too many open files").
# 3. Docker itself: .ci/docker-engine.sh (Debian's docker.io, dockerd started by hand).
set -euo pipefail

WRAPPER=/usr/local/libexec/orchestra/runc-drop-sys-resource
DAEMON_JSON=/etc/docker/daemon.json
RUNTIME_NAME=orchestra-runc

log() { printf '[kind-host] %s\n' "$*" >&2; }

# has_cap_sys_resource: whether this process's bounding set has CAP_SYS_RESOURCE (bit 24).
has_cap_sys_resource() {
    local bounding
    bounding=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
    (((16#$bounding >> 24 & 1) == 1))
}

install_wrapper() {
    local real_runc
    real_runc="$(command -v runc || echo /usr/sbin/runc)"
    mkdir -p "$(dirname "$WRAPPER")"
    cat >"$WRAPPER" <<EOF
#!/bin/bash
# Installed by .ci/kind-host.sh (CI host workaround, see there): drops CAP_SYS_RESOURCE,
# which this host cannot grant, from a container's config.json, then runs the real runc.
bundle=""
command=""
args=("\$@")
process=""
for ((i = 0; i < \${#args[@]}; i++)); do
    case "\${args[i]}" in
        --bundle | -b) bundle="\${args[i + 1]}" ;;
        --bundle=*) bundle="\${args[i]#--bundle=}" ;;
        --process | -p) process="\${args[i + 1]}" ;;
        --process=*) process="\${args[i]#--process=}" ;;
        create | run | exec) [[ -z \$command ]] && command="\${args[i]}" ;;
    esac
done
# create/run: the bundle's config.json (capabilities under "process");
# exec (docker exec): the process.json it is given (capabilities at the top).
case "\$command" in
    create | run) spec="\${bundle:-.}/config.json" ;;
    exec) spec="\$process" ;;
    *) spec="" ;;
esac
if [[ -n \$spec && -f \$spec ]] && grep -q CAP_SYS_RESOURCE "\$spec"; then
    python3 - "\$spec" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as handle:
    spec = json.load(handle)
caps = spec.get("process", spec).get("capabilities") or {}
for key, values in caps.items():
    caps[key] = [value for value in values if value != "CAP_SYS_RESOURCE"]
with open(path, "w") as handle:
    json.dump(spec, handle)
PY
fi
exec $real_runc "\$@"
EOF
    chmod 0755 "$WRAPPER"
}

# register_runtime: daemon.json names the wrapper as the default runtime (merged into an
# existing file). Returns 0 when the file changed.
register_runtime() {
    mkdir -p "$(dirname "$DAEMON_JSON")"
    python3 - "$DAEMON_JSON" "$RUNTIME_NAME" "$WRAPPER" <<'PY'
import json, os, sys
path, name, wrapper = sys.argv[1:]
config = {}
if os.path.exists(path):
    with open(path) as handle:
        config = json.load(handle)
before = json.dumps(config, sort_keys=True)
config.setdefault("runtimes", {})[name] = {"path": wrapper}
config["default-runtime"] = name
if json.dumps(config, sort_keys=True) == before:
    sys.exit(1)
with open(path, "w") as handle:
    json.dump(config, handle, indent=2)
PY
}

raise_inotify_limits() {
    # 524288 / 512: the values kind's known-issues page gives.
    sysctl -q -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512 ||
        log "could not raise the inotify limits (a worker may never become Ready)"
}

main() {
    raise_inotify_limits
    command -v runc >/dev/null || {
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io >/dev/null
    }
    local changed=0
    if has_cap_sys_resource; then
        log "CAP_SYS_RESOURCE is available: no runc wrapper needed"
    else
        log "no CAP_SYS_RESOURCE on this host: dockerd's default runtime drops it ($WRAPPER)"
        install_wrapper
        if register_runtime; then changed=1; fi
    fi
    bash "$(dirname "$0")/docker-engine.sh"
    # A dockerd that was already running reads daemon.json again on SIGHUP (runtimes and
    # the default runtime are reloadable).
    if ((changed)) && [[ -f /var/run/docker.pid ]]; then
        kill -HUP "$(cat /var/run/docker.pid)"
    fi
    if ! has_cap_sys_resource; then
        local runtime
        for _ in $(seq 1 20); do
            runtime="$(docker info --format '{{.DefaultRuntime}}')"
            [[ $runtime == "$RUNTIME_NAME" ]] && break
            sleep 0.5
        done
        [[ $runtime == "$RUNTIME_NAME" ]] || {
            log "dockerd's default runtime is $runtime, not $RUNTIME_NAME: restart dockerd"
            exit 1
        }
    fi
    log "ready: $(docker info --format 'Docker {{.ServerVersion}}, {{.Driver}}, runtime {{.DefaultRuntime}}')"
}

main "$@"
