# shellcheck shell=bash
# phoenix-guest-apt.sh: the apt-get / apt stand-in, shared by both names. Sourced, never run.
#
# Keeps a package database in $PG_STATE/packages (one name per line). Packages become
# installable only after an `update` that found them: Ubuntu's archive is always there, Docker's
# repository only when a sources entry for download.docker.com names an existing key file with
# signed-by. So a script that skips a step fails here as it would in a real guest.
#
# Seeds a test can write: $PG_STATE/apt-unavailable (names the archive lacks, one per line),
# $PG_STATE/upgradable (installed names that `upgrade` will upgrade, consumed by it),
# $PG_STATE/locks (guest paths held by another process, e.g. /var/lib/dpkg/lock-frontend).

PG_DOCKER_PACKAGES=" docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin docker-ce-rootless-extras "

pg_apt_lock_holder() {
    local lock="$1"
    if pg_listed locks "$lock"; then
        printf 'E: Could not get lock %s. It is held by process 4242 (unattended-upgr)\n' "$lock" >&2
        printf 'E: Unable to acquire the dpkg frontend lock (%s), is another process using it?\n' "$lock" >&2
        return 0
    fi
    return 1
}

# Checks the sources for Docker's repository. Prints its "<uri> <suite>" and returns 0 when it
# is configured with a readable key; returns 2 when configured without one; 1 when absent.
pg_apt_docker_source() {
    local f line key uri suite bad=""
    shopt -s nullglob
    for f in "$PG_ROOT"/etc/apt/sources.list.d/*.list "$PG_ROOT"/etc/apt/sources.list; do
        [[ -f "$f" ]] || continue
        while IFS= read -r line || [[ -n "$line" ]]; do
            [[ "$line" =~ ^[[:space:]]*deb[[:space:]] && "$line" == *download.docker.com* ]] || continue
            key=""
            if [[ "$line" =~ signed-by=([^][:space:]]+) ]]; then
                key="${BASH_REMATCH[1]}"
            fi
            uri="$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' <<<"$line")"
            suite="$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $(i + 1); exit } }' <<<"$line")"
            if [[ -n "$key" && -s "$PG_ROOT$key" ]]; then
                shopt -u nullglob
                printf '%s %s' "$uri" "$suite"
                return 0
            fi
            bad="$uri $suite"
        done <"$f"
    done
    for f in "$PG_ROOT"/etc/apt/sources.list.d/*.sources; do
        grep -q 'download.docker.com' "$f" || continue
        uri="$(awk -F': *' '$1 == "URIs" { print $2; exit }' "$f")"
        suite="$(awk -F': *' '$1 == "Suites" { print $2; exit }' "$f")"
        key="$(awk -F': *' '$1 == "Signed-By" { print $2; exit }' "$f")"
        if [[ -n "$key" && -s "$PG_ROOT$key" ]]; then
            shopt -u nullglob
            printf '%s %s' "$uri" "$suite"
            return 0
        fi
        bad="$uri $suite"
    done
    shopt -u nullglob
    [[ -n "$bad" ]] || return 1
    printf '%s' "$bad"
    return 2
}

pg_apt_update() {
    local src rc codename
    codename="$(pg_os_release VERSION_CODENAME noble)"
    if pg_apt_lock_holder /var/lib/apt/lists/lock; then return 100; fi
    printf 'Hit:1 http://archive.ubuntu.com/ubuntu %s InRelease\n' "$codename"
    printf 'Hit:2 http://archive.ubuntu.com/ubuntu %s-updates InRelease\n' "$codename"
    printf 'Hit:3 http://security.ubuntu.com/ubuntu %s-security InRelease\n' "$codename"
    rc=0
    src="$(pg_apt_docker_source)" || rc=$?
    local lists
    lists="$(pg_state_file apt-lists)"
    printf 'archive\n' >"$lists"
    case "$rc" in
        0)
            printf 'Get:4 %s %s InRelease [48.8 kB]\n' "${src% *}" "${src#* }"
            printf 'Get:5 %s %s/stable amd64 Packages [23.1 kB]\n' "${src% *}" "${src#* }"
            printf 'docker\n' >>"$lists"
            ;;
        2)
            printf 'Get:4 %s %s InRelease [48.8 kB]\n' "${src% *}" "${src#* }"
            printf 'Err:4 %s %s InRelease\n' "${src% *}" "${src#* }"
            printf "  The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 7EA0A9C3F273FCD8\n"
            printf 'Reading package lists...\n'
            printf "E: The repository '%s %s InRelease' is not signed.\n" "${src% *}" "${src#* }" >&2
            printf 'N: Updating from such a repository can'"'"'t be done securely, and is therefore disabled by default.\n' >&2
            return 100
            ;;
    esac
    printf 'Reading package lists...\n'
    return 0
}

pg_apt_available() {
    local pkg="$1"
    pg_listed apt-unavailable "$pkg" && return 1
    if [[ "$PG_DOCKER_PACKAGES" == *" $pkg "* ]]; then
        pg_listed apt-lists docker
        return
    fi
    pg_listed apt-lists archive
}

# Packages an install pulls in with it (the Depends that matter for later checks).
pg_apt_depends() {
    case "$1" in
        docker-ce) printf '%s\n' containerd.io docker-ce-cli ;;
    esac
}

pg_apt_install() {
    local assume_yes="$1" simulate="$2"
    shift 2
    local pkg dep missing=0 new=() seen=" " p
    if pg_apt_lock_holder /var/lib/dpkg/lock-frontend; then return 100; fi
    printf 'Reading package lists...\nBuilding dependency tree...\nReading state information...\n'
    for p in "$@"; do
        pkg="${p%%=*}"
        pkg="${pkg%%/*}"
        pkg="${pkg%%:*}"
        if pg_is_installed "$pkg"; then
            printf '%s is already the newest version (%s).\n' "$pkg" "$(pg_version "$pkg")"
            continue
        fi
        if ! pg_apt_available "$pkg"; then
            printf 'E: Unable to locate package %s\n' "$pkg" >&2
            missing=1
            continue
        fi
        for dep in $(pg_apt_depends "$pkg") "$pkg"; do
            if [[ "$seen" != *" $dep "* ]] && ! pg_is_installed "$dep"; then
                new+=("$dep")
                seen+="$dep "
            fi
        done
    done
    [[ "$missing" == 0 ]] || return 100
    if [[ "${#new[@]}" -eq 0 ]]; then
        printf '0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n'
        return 0
    fi
    printf 'The following NEW packages will be installed:\n  %s\n' "${new[*]}"
    printf '0 upgraded, %d newly installed, 0 to remove and 0 not upgraded.\n' "${#new[@]}"
    if [[ "$simulate" == 1 ]]; then
        for p in "${new[@]}"; do
            printf 'Inst %s (%s)\n' "$p" "$(pg_version "$p")"
        done
        return 0
    fi
    if [[ "$assume_yes" != 1 ]]; then
        printf 'Do you want to continue? [Y/n] Abort.\n'
        return 1
    fi
    for p in "${new[@]}"; do
        printf 'Selecting previously unselected package %s.\n' "$p"
        printf 'Unpacking %s (%s) ...\n' "$p" "$(pg_version "$p")"
    done
    for p in "${new[@]}"; do
        printf 'Setting up %s (%s) ...\n' "$p" "$(pg_version "$p")"
        pg_add_package "$p"
        # docker-ce's postinst creates the group that users are added to.
        if [[ "$p" == docker-ce ]]; then
            pg_create_group docker
        fi
    done
    return 0
}

pg_apt_upgrade() {
    local assume_yes="$1" simulate="$2" up=() p f
    if pg_apt_lock_holder /var/lib/dpkg/lock-frontend; then return 100; fi
    printf 'Reading package lists...\nBuilding dependency tree...\nReading state information...\nCalculating upgrade...\n'
    if [[ -f "$PG_STATE/upgradable" ]]; then
        while IFS= read -r p; do
            [[ -n "$p" ]] && pg_is_installed "$p" && up+=("$p")
        done <"$PG_STATE/upgradable"
    fi
    if [[ "${#up[@]}" -eq 0 ]]; then
        printf '0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n'
        return 0
    fi
    printf 'The following packages will be upgraded:\n  %s\n' "${up[*]}"
    printf '%d upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n' "${#up[@]}"
    [[ "$simulate" == 1 ]] && return 0
    if [[ "$assume_yes" != 1 ]]; then
        printf 'Do you want to continue? [Y/n] Abort.\n'
        return 1
    fi
    for p in "${up[@]}"; do
        printf 'Setting up %s (%s) ...\n' "$p" "$(pg_version "$p")"
    done
    f="$PG_STATE/upgradable"
    : >"$f"
    return 0
}

pg_apt_remove() {
    local assume_yes="$1" simulate="$2"
    shift 2
    local gone=() p
    if pg_apt_lock_holder /var/lib/dpkg/lock-frontend; then return 100; fi
    printf 'Reading package lists...\nBuilding dependency tree...\nReading state information...\n'
    for p in "$@"; do
        if pg_is_installed "$p"; then
            gone+=("$p")
        else
            printf "Package '%s' is not installed, so not removed\n" "$p"
        fi
    done
    printf '0 upgraded, 0 newly installed, %d to remove and 0 not upgraded.\n' "${#gone[@]}"
    [[ "${#gone[@]}" -eq 0 || "$simulate" == 1 ]] && return 0
    if [[ "$assume_yes" != 1 ]]; then
        printf 'Do you want to continue? [Y/n] Abort.\n'
        return 1
    fi
    for p in "${gone[@]}"; do
        printf 'Removing %s (%s) ...\n' "$p" "$(pg_version "$p")"
        pg_remove_package "$p"
    done
    return 0
}

pg_apt_main() {
    local tool="$1"
    shift
    pg_record "$tool" "$@"
    if [[ "$tool" == apt ]]; then
        printf '\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n' >&2
    fi
    local assume_yes=0 simulate=0 cmd="" a i
    local pkgs=()
    while (($# > 0)); do
        a="$1"
        shift
        case "$a" in
            -o | -c | -t | --option | --config-file | --target-release | --default-release)
                (($# > 0)) && shift
                ;;
            -o* | -c* | -t* | --option=* | --config-file=* | --target-release=* | --default-release=*) ;;
            -y | --yes | --assume-yes) assume_yes=1 ;;
            -s | --simulate | --just-print | --dry-run | --recon | --no-act) simulate=1 ;;
            --*) ;;
            -?*)
                for ((i = 1; i < ${#a}; i++)); do
                    case "${a:i:1}" in
                        y) assume_yes=1 ;;
                        s) simulate=1 ;;
                    esac
                done
                ;;
            *)
                if [[ -z "$cmd" ]]; then cmd="$a"; else pkgs+=("$a"); fi
                ;;
        esac
    done
    pg_lock
    case "$cmd" in
        update) pg_apt_update ;;
        install)
            if [[ "${#pkgs[@]}" -eq 0 ]]; then
                printf 'Reading package lists...\nBuilding dependency tree...\nReading state information...\n'
                printf '0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n'
                return 0
            fi
            pg_apt_install "$assume_yes" "$simulate" "${pkgs[@]}"
            ;;
        upgrade | dist-upgrade | full-upgrade) pg_apt_upgrade "$assume_yes" "$simulate" ;;
        remove | purge) pg_apt_remove "$assume_yes" "$simulate" "${pkgs[@]}" ;;
        autoremove | clean | autoclean | check | autopurge)
            printf 'Reading package lists...\n'
            ;;
        "")
            printf 'apt 2.7.14 (amd64)\nUsage: %s [options] command\n' "$tool" >&2
            return 1
            ;;
        *)
            printf 'E: Invalid operation %s\n' "$cmd" >&2
            return 100
            ;;
    esac
}
