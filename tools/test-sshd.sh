#!/usr/bin/env bash
# Starts and stops a throwaway OpenSSH server on 127.0.0.1 for Phoenix's tests.
#
#   tools/test-sshd.sh start <dir> [--path-prepend <dir>] [--setenv NAME=VALUE]... [--client-key <file>]
#   tools/test-sshd.sh restart <dir>
#   tools/test-sshd.sh stop <dir>
#
# `start` makes everything the server needs inside <dir> (host key, client key, authorized_keys,
# sshd_config, pid file, log), starts sshd in the background on a free port, waits until the port
# accepts connections and prints one JSON line:
#   {"host":"127.0.0.1","port":N,"user":"...","keyFile":"<dir>/client_key",
#    "hostKeyFingerprint":"SHA256:...","pid":N,"dir":"<dir>"}
# `stop` ends that server through the pid file in <dir>; `restart` starts it again from the files
# `start` left (same port, same host key) and prints {"pid":N}.
#
# --path-prepend puts a directory first on the PATH of commands run over SSH (the fake Proxmox
# host uses it to put its qm/pvesm/pvesh in front); --setenv adds variables to their environment;
# --client-key authorizes an existing private key (its .pub beside it) instead of making a new one,
# so several servers accept one key, as the nodes of a Proxmox cluster do.
# SSHD overrides the server binary (default /usr/sbin/sshd).
set -euo pipefail

readonly SSHD_BIN="${SSHD:-/usr/sbin/sshd}"
readonly BASE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

usage() {
    echo "usage: $0 start <dir> [--path-prepend <dir>] [--setenv NAME=VALUE]... [--client-key <file>]" >&2
    echo "       $0 restart <dir>" >&2
    echo "       $0 stop <dir>" >&2
    exit 2
}

die() {
    echo "test-sshd: $*" >&2
    exit 1
}

# Minimal JSON string escaping: enough for paths and user names.
json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    printf '"%s"' "$s"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_accepts() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when $1 is a running sshd started with the config in directory $2 (guards against a
# recycled PID belonging to some other process).
is_our_sshd() {
    local pid=$1 dir=$2 cmdline
    [[ -r /proc/$pid/cmdline ]] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
    [[ $cmdline == *"$dir/sshd_config"* ]]
}

cmd_start() {
    [[ $# -ge 1 ]] || usage
    local dir=$1
    shift
    local path_prepend="" setenv=() client_key=""
    while [[ $# -gt 0 ]]; do
        case $1 in
            --path-prepend)
                [[ $# -ge 2 ]] || usage
                path_prepend=$2
                shift 2
                ;;
            --setenv)
                [[ $# -ge 2 ]] || usage
                [[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--setenv wants NAME=VALUE, got '$2'"
                # sshd_config quotes with double quotes and has no escapes: refuse what it cannot hold.
                [[ $2 != *'"'* && $2 != *$'\n'* && $2 != *\\* ]] || die "--setenv value cannot hold a double quote, backslash or newline"
                setenv+=("$2")
                shift 2
                ;;
            --client-key)
                [[ $# -ge 2 ]] || usage
                client_key=$2
                [[ -f $client_key && -f $client_key.pub ]] || die "--client-key wants a private key with its .pub beside it: '$client_key'"
                shift 2
                ;;
            *) usage ;;
        esac
    done
    [[ -x $SSHD_BIN ]] || die "$SSHD_BIN not found (install openssh-server)"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [[ -n $path_prepend ]]; then
        mkdir -p "$path_prepend"
        path_prepend=$(cd "$path_prepend" && pwd -P)
    fi
    [[ $dir != *'"'* && $dir != *$'\n'* && $path_prepend != *'"'* ]] || die "directories cannot contain double quotes or newlines"

    # sshd refuses to start without its privilege separation directory.
    mkdir -p /run/sshd 2>/dev/null || true

    rm -f "$dir/host_ed25519_key" "$dir/host_ed25519_key.pub"
    ssh-keygen -q -t ed25519 -N '' -C "phoenix-test-host" -f "$dir/host_ed25519_key"
    if [[ -z $client_key ]]; then
        rm -f "$dir/client_key" "$dir/client_key.pub"
        ssh-keygen -q -t ed25519 -N '' -C "phoenix-test-client" -f "$dir/client_key"
        client_key=$dir/client_key
        chmod 600 "$dir/client_key"
    fi
    client_key=$(cd "$(dirname "$client_key")" && pwd -P)/$(basename "$client_key")
    cp "$client_key.pub" "$dir/authorized_keys"
    chmod 600 "$dir/host_ed25519_key" "$dir/authorized_keys"

    local fingerprint
    fingerprint=$(ssh-keygen -l -E sha256 -f "$dir/host_ed25519_key.pub" | awk '{print $2}')
    [[ $fingerprint == SHA256:* ]] || die "could not read the host key fingerprint"

    local path=$BASE_PATH
    [[ -z $path_prepend ]] || path="$path_prepend:$BASE_PATH"
    # SHLVL=1: bash reads ~/.bashrc for commands that sshd starts when its shell level is 1; on the
    # development machines root's ~/.bashrc starts pyenv (about half a second of CPU a command), a
    # cost no Proxmox node charges. A real node's Perl start is modelled with injected latency.
    local env_line="SetEnv \"PATH=$path\" \"SHLVL=1\""
    local kv
    for kv in "${setenv[@]}"; do
        env_line+=" \"$kv\""
    done

    local attempt port
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 40000))
        if port_accepts "$port"; then
            continue
        fi
        cat >"$dir/sshd_config" <<EOF
# Written by tools/test-sshd.sh (attempt $attempt); a throwaway server for tests.
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
MaxSessions 20
Subsystem sftp internal-sftp
$env_line
EOF
        if launch "$dir" "$port"; then
            printf '{"host":"127.0.0.1","port":%d,"user":%s,"keyFile":%s,"hostKeyFingerprint":%s,"pid":%d,"dir":%s}\n' \
                "$port" "$(json_string "$(id -un)")" "$(json_string "$client_key")" \
                "$(json_string "$fingerprint")" "$(head -n1 "$dir/sshd.pid")" "$(json_string "$dir")"
            return 0
        fi
        if grep -q "Address already in use" "$dir/sshd.log"; then
            continue
        fi
        cat "$dir/sshd.log" >&2
        die "sshd failed to start; log above ($dir/sshd.log)"
    done
    die "no free port found after 10 attempts"
}

# Starts sshd with <dir>/sshd_config and waits until it accepts on <port>; writes <dir>/sshd.pid.
# Returns 1 when sshd exited (see <dir>/sshd.log), dies when it never accepts.
launch() {
    local dir=$1 port=$2 pid _
    : >"$dir/sshd.log"
    # setsid detaches the server from the caller's session; its output goes to files so a
    # caller reading our stdout sees EOF when this script ends.
    setsid "$SSHD_BIN" -D -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        if port_accepts "$port"; then
            printf '%s\n' "$pid" >"$dir/sshd.pid"
            return 0
        fi
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        die "sshd (pid $pid) did not accept connections on port $port within 5 s; see $dir/sshd.log"
    fi
    wait "$pid" 2>/dev/null || true
    return 1
}

cmd_restart() {
    [[ $# -eq 1 ]] || usage
    local dir port
    dir=$(cd "$1" 2>/dev/null && pwd -P) || die "no such directory: $1"
    [[ -f $dir/sshd_config ]] || die "no sshd_config in $dir (start it first)"
    if [[ -f $dir/sshd.pid ]] && is_our_sshd "$(head -n1 "$dir/sshd.pid")" "$dir"; then
        die "the server of $dir still runs (pid $(head -n1 "$dir/sshd.pid"))"
    fi
    port=$(sed -n 's/^Port \([0-9]*\)$/\1/p' "$dir/sshd_config")
    mkdir -p /run/sshd 2>/dev/null || true
    if ! launch "$dir" "$port"; then
        cat "$dir/sshd.log" >&2
        die "sshd failed to restart on port $port; log above ($dir/sshd.log)"
    fi
    printf '{"pid":%d}\n' "$(head -n1 "$dir/sshd.pid")"
}

cmd_stop() {
    [[ $# -eq 1 ]] || usage
    local dir pid
    dir=$(cd "$1" 2>/dev/null && pwd -P) || die "no such directory: $1"
    [[ -f $dir/sshd.pid ]] || die "no pid file in $dir"
    pid=$(head -n1 "$dir/sshd.pid")
    [[ $pid =~ ^[0-9]+$ ]] || die "bad pid file $dir/sshd.pid"
    if ! is_our_sshd "$pid" "$dir"; then
        rm -f "$dir/sshd.pid"
        return 0
    fi
    kill "$pid"
    local _
    for _ in $(seq 1 50); do
        is_our_sshd "$pid" "$dir" || break
        sleep 0.1
    done
    if is_our_sshd "$pid" "$dir"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/sshd.pid"
}

[[ $# -ge 1 ]] || usage
case $1 in
    start) shift; cmd_start "$@" ;;
    restart) shift; cmd_restart "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) usage ;;
esac
