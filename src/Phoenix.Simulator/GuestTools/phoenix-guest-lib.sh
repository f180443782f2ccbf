# shellcheck shell=bash
# phoenix-guest-lib.sh: shared code of the Phoenix fake-guest stand-ins. Sourced, never run.
#
# The stand-ins replace, inside a fake guest, the commands that would need the internet or an
# init system. They never touch the network. Every call is appended to the call log, and the
# little state they keep (installed packages, services, group memberships, time zone) lives in
# plain text files so that tests and the fake host can read and seed it.
#
# PHOENIX_GUEST_ROOT: prefix of the guest's filesystem. Unset (or "/") inside a fake guest,
# whose /etc, /var, /tmp are per-VM overlays; a temporary folder in shell tests.

PG_ROOT="${PHOENIX_GUEST_ROOT:-}"
PG_ROOT="${PG_ROOT%/}"
PG_STATE="$PG_ROOT/var/lib/phoenix-guest"
PG_LOGDIR="$PG_ROOT/var/log/phoenix-guest"
PG_CALLS="$PG_LOGDIR/calls.log"
PG_SELF_DIR="${BASH_SOURCE[0]%/*}"
[[ "$PG_SELF_DIR" == /* ]] || PG_SELF_DIR="$PWD/$PG_SELF_DIR"

# Quotes one argument the way Phoenix's ShellQuote does: plain words bare, the rest in single
# quotes, so that a log line can be pasted back into a shell. Sets PG_QUOTED (no subshell: the
# stand-ins are called often and should stay cheap).
pg_quote() {
    local a="$1"
    if [[ -n "$a" && "$a" != *[!A-Za-z0-9_./:,+@%-]* ]]; then
        PG_QUOTED="$a"
    else
        PG_QUOTED="'${a//\'/\'\\\'\'}'"
    fi
}

# Appends "<tool> <args...>" to the call log, one call per line.
pg_record() {
    local line="$1" a
    shift
    for a in "$@"; do
        pg_quote "$a"
        line+=" $PG_QUOTED"
    done
    line="${line//$'\n'/\\n}"
    [[ -d "$PG_LOGDIR" ]] || mkdir -p "$PG_LOGDIR"
    printf '%s\n' "$line" >>"$PG_CALLS"
}

pg_state_file() {
    mkdir -p "$PG_STATE"
    [[ -e "$PG_STATE/$1" ]] || : >"$PG_STATE/$1"
    printf '%s' "$PG_STATE/$1"
}

# Serialises changes to the state files of one guest (concurrent guest-exec calls).
pg_lock() {
    mkdir -p "$PG_STATE"
    exec 9>"$PG_STATE/.lock"
    if command -v flock >/dev/null 2>&1; then
        flock 9
    fi
}

# True when the given name is listed (whole line) in a state file.
pg_listed() {
    local file="$PG_STATE/$1"
    [[ -f "$file" ]] && grep -qxF -- "$2" "$file"
}

pg_is_installed() { pg_listed packages "$1"; }

pg_add_package() {
    local f
    f="$(pg_state_file packages)"
    grep -qxF -- "$1" "$f" || printf '%s\n' "$1" >>"$f"
}

pg_remove_package() {
    local f tmp
    f="$(pg_state_file packages)"
    tmp="$f.tmp.$$"
    grep -vxF -- "$1" "$f" >"$tmp" || true
    cat "$tmp" >"$f"
    rm -f "$tmp"
}

# The version a stand-in reports for a package: Docker's for Docker's packages, a neutral one
# otherwise.
pg_version() {
    case "$1" in
        docker-ce | docker-ce-cli | docker-ce-rootless-extras) printf '5:28.0.1-1~ubuntu.24.04~noble' ;;
        containerd.io) printf '1.7.25-1' ;;
        docker-buildx-plugin) printf '0.21.1-1~ubuntu.24.04~noble' ;;
        docker-compose-plugin) printf '2.33.1-1~ubuntu.24.04~noble' ;;
        *) printf '1.0-0ubuntu1' ;;
    esac
}

pg_arch() {
    case "$(uname -m)" in
        x86_64) printf 'amd64' ;;
        aarch64 | arm64) printf 'arm64' ;;
        armv7l) printf 'armhf' ;;
        *) printf 'amd64' ;;
    esac
}

# The guest's /etc may be edited only when it is a fake guest's own copy: its os-release (the
# one Phoenix ships as GuestTools/os-release) carries PHOENIX_FAKE_GUEST=1. This keeps a stand-in
# run by mistake on a real machine away from the machine's /etc/group.
pg_guest_etc_writable() {
    [[ -f "$PG_ROOT/etc/os-release" ]] && grep -qx 'PHOENIX_FAKE_GUEST=1' "$PG_ROOT/etc/os-release"
}

# A value from the guest's os-release (ID, VERSION_CODENAME, ...), unquoted.
pg_os_release() {
    local key="$1" default="$2" line v
    if [[ -f "$PG_ROOT/etc/os-release" ]]; then
        while IFS= read -r line || [[ -n "$line" ]]; do
            if [[ "$line" == "$key="* ]]; then
                v="${line#*=}"
                v="${v#\"}"
                v="${v%\"}"
                printf '%s' "$v"
                return 0
            fi
        done <"$PG_ROOT/etc/os-release"
    fi
    printf '%s' "$default"
}

# The real command of that name, found on PATH after the stand-ins' own folder.
pg_real_command() {
    local name="$1" dir
    local IFS=:
    for dir in $PATH; do
        [[ -z "$dir" ]] && continue
        [[ "$(cd "$dir" 2>/dev/null && pwd)" == "$PG_SELF_DIR" ]] && continue
        if [[ -x "$dir/$name" && ! -d "$dir/$name" ]]; then
            printf '%s' "$dir/$name"
            return 0
        fi
    done
    return 1
}

# ---- users and groups: the guest's /etc/passwd and /etc/group, plus recorded memberships ----

pg_passwd_line() {
    [[ -f "$PG_ROOT/etc/passwd" ]] || return 1
    awk -F: -v u="$1" '$1 == u { print; found = 1; exit } END { exit !found }' "$PG_ROOT/etc/passwd"
}

pg_group_exists() {
    if [[ -f "$PG_ROOT/etc/group" ]] && awk -F: -v g="$1" '$1 == g { found = 1 } END { exit !found }' "$PG_ROOT/etc/group"; then
        return 0
    fi
    [[ -f "$PG_STATE/groups" ]] && awk -F: -v g="$1" '$1 == g { found = 1 } END { exit !found }' "$PG_STATE/groups"
}

# Members of a group: the /etc/group list joined with the recorded one, one per line.
pg_group_members() {
    {
        if [[ -f "$PG_ROOT/etc/group" ]]; then
            awk -F: -v g="$1" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] != "") print m[i] }' "$PG_ROOT/etc/group"
        fi
        if [[ -f "$PG_STATE/groups" ]]; then
            awk -F: -v g="$1" '$1 == g { n = split($2, m, ","); for (i = 1; i <= n; i++) if (m[i] != "") print m[i] }' "$PG_STATE/groups"
        fi
    } | awk '!seen[$0]++'
}

pg_group_gid() {
    if [[ -f "$PG_ROOT/etc/group" ]]; then
        awk -F: -v g="$1" '$1 == g { print $3; exit }' "$PG_ROOT/etc/group"
    fi
}

pg_group_name_of_gid() {
    if [[ -f "$PG_ROOT/etc/group" ]]; then
        awk -F: -v id="$1" '$3 == id { print $1; exit }' "$PG_ROOT/etc/group"
    fi
}

# All group names known to the guest.
pg_all_groups() {
    {
        [[ -f "$PG_ROOT/etc/group" ]] && awk -F: '{ print $1 }' "$PG_ROOT/etc/group"
        [[ -f "$PG_STATE/groups" ]] && awk -F: '{ print $1 }' "$PG_STATE/groups"
    } | awk 'NF && !seen[$0]++'
}

# Creates a group the way a package's postinst would (docker-ce creates "docker").
pg_create_group() {
    local g="$1" f gid
    pg_group_exists "$g" && return 0
    f="$(pg_state_file groups)"
    printf '%s:\n' "$g" >>"$f"
    if pg_guest_etc_writable && [[ -w "$PG_ROOT/etc/group" ]]; then
        # As groupadd -r: the highest system gid (below 1000) still free.
        gid="$(awk -F: '{ used[$3] = 1 } END { for (g = 999; g >= 100; g--) if (!(g in used)) { print g; exit } }' "$PG_ROOT/etc/group")"
        printf '%s:x:%s:\n' "$g" "$gid" >>"$PG_ROOT/etc/group"
    fi
}

# Adds a user to a group: recorded in the state file, and in the guest's /etc/group when the
# guest's /etc is its own.
pg_add_member() {
    local g="$1" u="$2" f tmp
    f="$(pg_state_file groups)"
    tmp="$f.tmp.$$"
    awk -F: -v g="$g" -v u="$u" '
        $1 == g { found = 1; n = split($2, m, ","); has = 0
                  for (i = 1; i <= n; i++) if (m[i] == u) has = 1
                  if (!has) $2 = ($2 == "" ? u : $2 "," u)
                  print $1 ":" $2; next }
        { print }
        END { if (!found) print g ":" u }' "$f" >"$tmp"
    cat "$tmp" >"$f"
    rm -f "$tmp"
    if pg_guest_etc_writable && [[ -w "$PG_ROOT/etc/group" ]]; then
        tmp="$PG_ROOT/etc/group.phoenix.$$"
        awk -F: -v OFS=: -v g="$g" -v u="$u" '
            $1 == g { n = split($4, m, ","); has = 0
                      for (i = 1; i <= n; i++) if (m[i] == u) has = 1
                      if (!has) $4 = ($4 == "" ? u : $4 "," u) }
            { print }' "$PG_ROOT/etc/group" >"$tmp"
        cat "$tmp" >"$PG_ROOT/etc/group"
        rm -f "$tmp"
    fi
}

# ---- services ----

# The package whose installation brings a unit, or "-" for units every cloud image has.
pg_unit_package() {
    case "${1%.service}" in
        docker | docker.socket) printf 'docker-ce' ;;
        containerd) printf 'containerd.io' ;;
        unattended-upgrades) printf 'unattended-upgrades' ;;
        ssh | cron | systemd-timesyncd | systemd-resolved | systemd-networkd | qemu-guest-agent | cloud-init) printf -- '-' ;;
        *) return 1 ;;
    esac
}

pg_unit_exists() {
    local unit="${1%.service}" pkg
    if pkg="$(pg_unit_package "$unit")"; then
        # Ubuntu's own docker.io brings the same docker unit as Docker's docker-ce.
        [[ "$pkg" == "-" ]] || pg_is_installed "$pkg" || { [[ "$pkg" == docker-ce ]] && pg_is_installed docker.io; }
        return
    fi
    pg_listed units "$unit"
}

# Prints "<enabled|disabled> <active|inactive>" for a unit.
pg_service_state() {
    local unit="${1%.service}" line
    if [[ -f "$PG_STATE/services" ]]; then
        line="$(awk -v u="$unit" '$1 == u { print $2, $3; exit }' "$PG_STATE/services")"
        if [[ -n "$line" ]]; then
            printf '%s' "$line"
            return 0
        fi
    fi
    case "$unit" in
        ssh | cron | systemd-timesyncd | systemd-resolved | systemd-networkd | qemu-guest-agent | cloud-init) printf 'enabled active' ;;
        *) printf 'disabled inactive' ;;
    esac
}

pg_set_service_state() {
    local unit="${1%.service}" enabled="$2" active="$3" f tmp
    f="$(pg_state_file services)"
    tmp="$f.tmp.$$"
    awk -v u="$unit" '$1 != u' "$f" >"$tmp"
    printf '%s %s %s\n' "$unit" "$enabled" "$active" >>"$tmp"
    cat "$tmp" >"$f"
    rm -f "$tmp"
}

# ---- dpkg queries against the recorded packages ----

pg_dpkg_status() {
    local rc=0 p
    for p in "$@"; do
        if pg_is_installed "$p"; then
            printf 'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: admin\nArchitecture: %s\n' "$p" "$(pg_arch)"
            printf 'Version: %s\nDescription: %s (recorded by the Phoenix guest stand-in)\n\n' "$(pg_version "$p")" "$p"
        else
            printf "dpkg-query: package '%s' is not installed and no information is available\n" "$p" >&2
            rc=1
        fi
    done
    if [[ "$rc" != 0 ]]; then
        printf 'Use dpkg --info (= dpkg-deb --info) to examine archive files.\n' >&2
    fi
    return "$rc"
}

pg_dpkg_list() {
    local rc=0 pat p any
    local all=()
    if [[ -f "$PG_STATE/packages" ]]; then
        while IFS= read -r p; do [[ -n "$p" ]] && all+=("$p"); done <"$PG_STATE/packages"
    fi
    (($# > 0)) || set -- '*'
    printf 'Desired=Unknown/Install/Remove/Purge/Hold\n'
    printf '| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n'
    printf '|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n'
    printf '||/ %-30s %-30s %-12s %s\n' Name Version Architecture Description
    printf '+++-%s-%s-%s-%s\n' "$(printf '=%.0s' {1..30})" "$(printf '=%.0s' {1..30})" "$(printf '=%.0s' {1..12})" "$(printf '=%.0s' {1..40})"
    for pat in "$@"; do
        any=0
        for p in "${all[@]}"; do
            # shellcheck disable=SC2053 # the pattern is a dpkg glob on purpose
            if [[ "$p" == $pat ]]; then
                printf 'ii  %-30s %-30s %-12s %s\n' "$p" "$(pg_version "$p")" "$(pg_arch)" "$p (recorded by the Phoenix guest stand-in)"
                any=1
            fi
        done
        if [[ "$any" == 0 ]]; then
            printf 'dpkg-query: no packages found matching %s\n' "$pat" >&2
            rc=1
        fi
    done
    return "$rc"
}
