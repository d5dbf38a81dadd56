#!/usr/bin/env bash
# scripts/vm.sh: boot keel as PID 1 in a throwaway QEMU VM (TCG, no KVM needed) and bring
# the workload's exit status back. Every VM test of keel goes through this script.
#
# Usage:
#   scripts/vm.sh prepare [--kernel 6.1|6.12|all] [--refresh]
#   scripts/vm.sh run --kernel 6.1|6.12 [--add HOST:GUEST]... [--share HOSTDIR:TAG[:ro]]...
#                     [--timeout S] [--log FILE] [--result FILE] [--keel PATH] [--build]
#                     [--show] -- KEEL_ARGS...
#   scripts/vm.sh info | clean
#   (run `scripts/vm.sh --help` for every option)
#
# Exit codes of `run`:
#   N     the guest workload's status N, read from keel's console line
#         "keel: workload exited with status N" (keel then powers off: QEMU exits 0)
#   3     kernel panic ("Kernel panic - not syncing", e.g. "Attempted to kill init!" when keel
#         itself exited or crashed)
#   124   timeout: the VM did not power off within --timeout seconds
#   125   harness failure: bad usage, missing tool or kernel, QEMU failed to start, the stage
#         could not exec /sbin/keel, or the VM powered off without printing the status line
#   A workload can itself exit with 3, 124 or 125; pass --result FILE to tell them apart
#   (its `outcome=` line is one of: status panic timeout no-status stage-failed qemu-failed).
#
# Cache layout (everything under target/vm/, safe to delete):
#   target/vm/kernel-6.1/   pkg (Debian package name), release (uname -r), vmlinux (PVH ELF),
#                           vmlinuz, config, modules/overlay.ko, base.cpio, base.key,
#                           modules/virtiofs/N-NAME.ko (what --share loads, in load order)
#   target/vm/kernel-6.12/  the same for the 6.12 kernel
#   target/vm/runs/         console logs of runs started without --log
#   target/vm/tests/<k>/    console logs and results of scripts/vm-tests.sh
#
# The VM: qemu-system-x86_64 -M microvm -accel tcg -cpu qemu64,+rdrand -m 256, the PVH
# vmlinux, serial console (ttyS0) to the log file, -no-reboot, kernel command line
# "console=ttyS0 panic=-1 quiet tsc_early_khz=<host TSC kHz>". Boot to power-off ~2.2 s
# (6.1) / ~2.8 s (6.12) on an idle 2-core host.
# With --share: one virtiofsd per share (QEMU 7.2's /usr/lib/qemu/virtiofsd), a
# vhost-user-fs-device on microvm's virtio-mmio (non-legacy), the guest RAM as a shared
# memfd (-object memory-backend-memfd,share=on and -M microvm,memory-backend=mem), and the
# modules virtiofs needs added to the stage (6.1: virtio_ring virtio virtio_mmio fuse
# virtiofs; 6.12: virtio_mmio). The guest mounts it: mount -t virtiofs TAG DIR.
#
# Environment:
#   KEEL_VM_PKG_6_1, KEEL_VM_PKG_6_12  pin the Debian kernel package (default: newest in bookworm)
#   KEEL_VM_ACCEL    QEMU accelerator (default tcg; `kvm` works where /dev/kvm exists)
#   KEEL_VM_APPEND   extra kernel command-line words
#   KEEL_VM_QEMU     QEMU binary (default qemu-system-x86_64)
#   KEEL_VM_CPU      QEMU -cpu model (default qemu64,+rdrand: faster under TCG than `max`;
#                    rdrand keeps the guest's getrandom from waiting ~1 s for entropy)
#   KEEL_VM_TSC_KHZ  the host TSC frequency passed as tsc_early_khz (default: from dmesg or
#                    /proc/cpuinfo)
#   KEEL_VM_CACHE    cache directory (default target/vm)
#   KEEL_VM_VIRTIOFSD  virtiofsd binary for --share (default /usr/lib/qemu/virtiofsd)
set -euo pipefail

PROG=vm.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/target.sh
source "$ROOT/scripts/lib/target.sh"
CACHE=${KEEL_VM_CACHE:-$ROOT/target/vm}
KERNELS=(6.1 6.12)
QEMU=${KEEL_VM_QEMU:-qemu-system-x86_64}
ACCEL=${KEEL_VM_ACCEL:-tcg}
STATUS_RE='keel: workload exited with status ([0-9]+)'
# The stage's own message, or busybox sh's when `exec /sbin/keel` fails (sh then exits).
STAGE_FAIL_RE='keel-vm: stage: cannot exec|^/init: (exec: )?line [0-9]+: /sbin/keel'

# Exit codes (see the header).
EX_PANIC=3
EX_TIMEOUT=124
EX_HARNESS=125

usage() {
    cat <<'EOF'
usage: scripts/vm.sh prepare [--kernel 6.1|6.12|all] [--refresh]
       scripts/vm.sh run --kernel 6.1|6.12 [options] -- KEEL_ARGS...
       scripts/vm.sh info
       scripts/vm.sh clean

prepare   download the Debian bookworm cloud kernels (6.1 and 6.12), extract a PVH vmlinux,
          overlay.ko and the modules of --share, and build the base initramfs (busybox +
          stage /init). Idempotent;
          cached under target/vm/. --refresh re-resolves the newest kernel packages.
run       boot the kernel with the base initramfs plus a per-run cpio carrying keel
          (-> /sbin/keel) and the added files; the stage /init execs `/sbin/keel KEEL_ARGS...`
          as PID 1. Prints a one-line verdict on stderr and exits with the workload's status.
  --kernel V        6.1 or 6.12 (required)
  --add HOST:GUEST  put HOST (file or directory) at the absolute guest path GUEST (repeatable;
                    a GUEST ending in / keeps HOST's name)
  --share HOSTDIR:TAG[:ro]
                    serve HOSTDIR to the guest over virtiofs as TAG (repeatable), by a
                    virtiofsd stopped with the run (its output: LOG without .log, plus
                    .virtiofsN.log); :ro serves a read-only bind of HOSTDIR without the
                    mounts below it. The guest: mount -t virtiofs TAG DIR
  --timeout S       hard timeout in seconds (default 30)
  --log FILE        console log path (default target/vm/runs/<kernel>-<time>-<pid>.log)
  --result FILE     write outcome=, status=, exit=, seconds=, log=, detail= lines to FILE
  --keel PATH       binary (or stand-in script) to boot as /sbin/keel
                    (default target/release/keel)
  --build           run `cargo build --release --bin keel` first
  --show            print the console log on stdout after the run
  --smp N, --mem MB guest CPUs (default 1) and memory (default 256)
info      print the cached kernels and paths
clean     delete target/vm/

Exit codes of run: the workload's status; 3 kernel panic; 124 timeout; 125 harness failure.
EOF
}

die() {
    echo "$PROG: error: $*" >&2
    exit "$EX_HARNESS"
}

note() {
    echo "$PROG: $*" >&2
}

# ---------------------------------------------------------------------------------------------
# Host tools

APT_UPDATED=0

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (install it by hand or run as root)"
    fi
}

apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        note "apt-get update"
        as_root apt-get update -qq >&2 || die "apt-get update failed"
        APT_UPDATED=1
    fi
}

# ensure_tools: install the Debian packages for any missing host tool (apt-get update only
# when something is missing).
ensure_tools() {
    local -a missing=()
    local pair cmd pkg
    for pair in "$QEMU:qemu-system-x86" cpio:cpio lz4:lz4 zstd:zstd xz:xz-utils \
        timeout:coreutils flock:util-linux apt-get:apt dpkg:dpkg; do
        cmd=${pair%%:*}
        pkg=${pair##*:}
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    done
    # The guest needs a static busybox; the dynamic `busybox` package would not run there.
    if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
        missing+=(busybox-static)
    fi
    if [[ ${#missing[@]} -gt 0 ]]; then
        command -v apt-get >/dev/null 2>&1 || die "missing tools (Debian packages: ${missing[*]}) and no apt-get"
        apt_update_once
        note "installing ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
            die "apt-get install ${missing[*]} failed"
    fi
}

# ---------------------------------------------------------------------------------------------
# Kernels

check_kernel() {
    case $1 in
    6.1 | 6.12) ;;
    *) die "unknown kernel '$1' (use 6.1 or 6.12)" ;;
    esac
}

# resolve_pkg V: print the Debian package name of the newest bookworm cloud kernel V.
resolve_pkg() {
    local v=$1 meta pattern env_name pkg=""
    env_name=KEEL_VM_PKG_${v//./_}
    if [[ -n ${!env_name:-} ]]; then
        echo "${!env_name}"
        return
    fi
    case $v in
    6.1) meta=linux-image-cloud-amd64 pattern='^linux-image-6\.1\.[0-9]+-[0-9]+-cloud-amd64$' ;;
    6.12) meta=linux-image-6.12-cloud-amd64 pattern='^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$' ;;
    esac
    local try
    for try in 1 2; do
        pkg=$(apt-cache depends "$meta" 2>/dev/null |
            sed -n 's/^ *Depends: *//p' | grep -E "$pattern" | head -n1 || true)
        if [[ -z $pkg ]]; then
            # No meta package (e.g. not a bookworm host): take the newest matching image.
            pkg=$(apt-cache search --names-only "${pattern%\$}" 2>/dev/null |
                awk '{print $1}' | grep -E "$pattern" | sort -V | tail -n1 || true)
        fi
        [[ -n $pkg ]] && break
        [[ $try -eq 1 ]] && apt_update_once
    done
    [[ -n $pkg ]] || die "cannot find a Debian cloud kernel package for $v (is this Debian bookworm with apt sources?); set $env_name=linux-image-…"
    echo "$pkg"
}

# extract_vmlinux BZIMAGE OUT: unpack the ELF vmlinux from a bzImage (LZ4, ZSTD, XZ or gzip
# payload) so QEMU can boot it through its PVH entry note, skipping the slow in-guest
# decompression under TCG.
extract_vmlinux() {
    local bz=$1 out=$2 off magic tool
    local -a offsets
    for magic in '\x02\x21\x4c\x18:lz4' '\x28\xb5\x2f\xfd:zstd' '\xfd\x37\x7a\x58\x5a\x00:xz' '\x1f\x8b\x08:gzip'; do
        tool=${magic##*:}
        mapfile -t offsets < <(LC_ALL=C grep -obUaP "${magic%:*}" "$bz" | cut -d: -f1 | head -n 8)
        for off in "${offsets[@]}"; do
            # Trailing bytes after the stream make the decompressors exit non-zero; the
            # ELF checks below decide.
            tail -c +"$((off + 1))" "$bz" | "$tool" -dc 2>/dev/null >"$out.tmp" || true
            if elf_complete "$out.tmp"; then
                mv "$out.tmp" "$out"
                return 0
            fi
        done
    done
    rm -f "$out.tmp"
    return 1
}

# elf_complete FILE: FILE is a 64-bit ELF whose section header table lies inside the file.
elf_complete() {
    local f=$1 size shoff shentsize shnum
    [[ -s $f ]] || return 1
    [[ $(head -c 5 "$f" | od -An -c | tr -d ' ') == '177ELF002' ]] || return 1
    size=$(stat -c %s "$f")
    shoff=$(od -An -t u8 -j 40 -N 8 "$f" | tr -d ' ')
    read -r shentsize shnum < <(od -An -t u2 -j 58 -N 4 "$f")
    [[ $((shoff + shentsize * shnum)) -le $size && $shnum -gt 0 ]]
}

# elf_interp FILE: succeed when FILE is an ELF with a PT_INTERP program header (dynamic).
elf_interp() {
    local f=$1 phoff phentsize phnum i type
    [[ $(head -c 4 "$f" | od -An -c | tr -d ' ') == '177ELF' ]] || return 1
    phoff=$(od -An -t u8 -j 32 -N 8 "$f" | tr -d ' ')
    read -r phentsize phnum < <(od -An -t u2 -j 54 -N 4 "$f")
    for ((i = 0; i < phnum; i++)); do
        type=$(od -An -t u4 -j $((phoff + i * phentsize)) -N 4 "$f" | tr -d ' ')
        [[ $type -eq 3 ]] && return 0
    done
    return 1
}

# The modules virtiofs needs over virtio-mmio (microvm's transport), in load order: each
# after the ones it depends on (their modinfo depends=). A kernel that builds one in (6.12:
# all but virtio_mmio) lists it in modules.builtin instead.
VIRTIOFS_MODULES=(virtio_ring virtio virtio_mmio fuse virtiofs)

# kernel_fetched V: the cache holds a complete kernel V (pkg is written last), with the
# virtiofs modules directory (caches made before --share existed lack it).
kernel_fetched() {
    local kdir=$CACHE/kernel-$1
    [[ -s $kdir/pkg && -s $kdir/vmlinux && -s $kdir/modules/overlay.ko && -d $kdir/modules/virtiofs ]]
}

# extract_virtiofs_modules MODDIR OUT: copy the VIRTIOFS_MODULES that MODDIR (an unpacked
# /lib/modules/RELEASE) has as files to OUT/N-NAME.ko, N the load order; the stage loads
# /lib/modules/keel-vm/*.ko in glob order, so the names keep that order there too.
extract_virtiofs_modules() {
    local moddir=$1 out=$2 name ko n=0
    mkdir -p "$out"
    for name in "${VIRTIOFS_MODULES[@]}"; do
        ko=$(find "$moddir" -name "$name.ko*" | head -n1)
        if [[ -n $ko ]]; then
            n=$((n + 1))
            decompress_module "$ko" "$out/$n-$name.ko"
        elif ! grep -qE "/$name\.ko$" "$moddir/modules.builtin" 2>/dev/null; then
            die "kernel ${moddir##*/}: no $name module, neither a $name.ko* file nor in modules.builtin (virtiofs needs it)"
        fi
    done
}

# fetch_kernel V REFRESH: download and unpack kernel V into $CACHE/kernel-V (idempotent).
fetch_kernel() {
    local v=$1 refresh=$2 kdir=$CACHE/kernel-$1 pkg
    if [[ $refresh -eq 0 ]] && kernel_fetched "$v"; then
        local pinned=KEEL_VM_PKG_${v//./_}
        if [[ -z ${!pinned:-} || ${!pinned} == "$(cat "$kdir/pkg")" ]]; then
            return 0
        fi
    fi
    pkg=$(resolve_pkg "$v")
    note "kernel $v: fetching $pkg"
    local work
    work=$(mktemp -d "$CACHE/fetch.XXXXXX")
    # apt-get download as root warns that the _apt sandbox user cannot write here.
    (cd "$work" && apt-get download -qq -o APT::Sandbox::User="$(id -un)" "$pkg" >&2) || {
        apt_update_once
        (cd "$work" && apt-get download -qq -o APT::Sandbox::User="$(id -un)" "$pkg" >&2)
    } || {
        rm -rf "$work"
        die "apt-get download $pkg failed"
    }
    dpkg -x "$work"/"${pkg}"_*.deb "$work/x" || die "dpkg -x of $pkg failed"
    local bz release ko
    bz=$(find "$work/x/boot" -name 'vmlinuz-*' | head -n1)
    [[ -n $bz ]] || die "$pkg has no /boot/vmlinuz-*"
    release=${bz##*/vmlinuz-}
    ko=$(find "$work/x/lib/modules/$release" -path '*/fs/overlayfs/overlay.ko*' | head -n1)
    [[ -n $ko ]] || die "$pkg has no overlay module"
    rm -rf "$kdir"
    mkdir -p "$kdir/modules"
    cp "$bz" "$kdir/vmlinuz"
    cp "$work/x/boot/config-$release" "$kdir/config"
    decompress_module "$ko" "$kdir/modules/overlay.ko"
    extract_virtiofs_modules "$work/x/lib/modules/$release" "$kdir/modules/virtiofs"
    extract_vmlinux "$kdir/vmlinuz" "$kdir/vmlinux" || die "cannot extract vmlinux from $bz"
    echo "$release" >"$kdir/release"
    echo "$pkg" >"$kdir/pkg" # written last: marks the kernel complete
    rm -rf "$work"
    note "kernel $v: $release ready in ${kdir#"$ROOT"/}"
}

decompress_module() {
    case $1 in
    *.ko) cp "$1" "$2" ;;
    *.ko.xz) xz -dc "$1" >"$2" ;;
    *.ko.zst) zstd -dcq "$1" >"$2" ;;
    *.ko.gz) gzip -dc "$1" >"$2" ;;
    *) die "unknown module compression: $1" ;;
    esac
}

# ---------------------------------------------------------------------------------------------
# Base initramfs

# The stage /init: busybox sh as the kernel's first process. It mounts nothing (keel mounts
# /proc, /sys, /dev and /run itself), loads the modules, reads keel's argv from the per-run
# cpio, and execs keel, which thereby becomes PID 1.
stage_init() {
    cat <<'EOF'
#!/bin/sh
# keel VM stage (generated by scripts/vm.sh): load modules, exec keel as PID 1.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
for m in /lib/modules/keel-vm/*.ko; do
    [ -e "$m" ] || continue
    insmod "$m" || echo "keel-vm: stage: warning: insmod $m failed" >&2
done
set --
# Written by `vm.sh run`: `set -- 'arg' …` (single-quoted, so any argument survives).
[ -r /etc/keel-vm/args ] && . /etc/keel-vm/args
echo "keel-vm: stage: exec /sbin/keel $*" >&2
exec /sbin/keel "$@"
echo "keel-vm: stage: cannot exec /sbin/keel" >&2
exit 125
EOF
}

base_key() {
    local v=$1
    {
        stage_init
        echo "layout 2"
        sha256sum /bin/busybox "$CACHE/kernel-$v/modules/"*.ko | cut -d' ' -f1
        cat "$CACHE/kernel-$v/release"
    } | sha256sum | cut -d' ' -f1
}

build_base() {
    local v=$1 kdir=$CACHE/kernel-$1 key
    key=$(base_key "$v")
    if [[ -s $kdir/base.cpio && $(cat "$kdir/base.key" 2>/dev/null) == "$key" ]]; then
        return 0
    fi
    local r
    r=$(mktemp -d "$CACHE/base.XXXXXX")
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc/keel-vm,dev,proc,sys,run,tmp,root,mnt,lib/modules/keel-vm}
    chmod 1777 "$r/tmp"
    chmod 0700 "$r/root"
    cp /bin/busybox "$r/bin/busybox"
    local applet
    while read -r applet; do
        [[ $applet == */* && $applet != bin/busybox ]] || continue
        [[ -e $r/$applet ]] || ln -s /bin/busybox "$r/$applet"
    done < <(/bin/busybox --list-full)
    cp "$kdir/modules/"*.ko "$r/lib/modules/keel-vm/"
    stage_init >"$r/init"
    chmod 0755 "$r/init"
    cat "$kdir/release" >"$r/etc/keel-vm/kernel"
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$r/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$r/etc/group"
    # Uncompressed: unpacking is cheaper under TCG than decompressing. newc + 512-byte
    # blocks keeps the archive 4-byte aligned for the appended per-run cpio.
    chmod 0755 "$r" # the "." entry sets the mode of / (the kernel's rootfs starts as 1777)
    (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$kdir/base.cpio.tmp"
    mv "$kdir/base.cpio.tmp" "$kdir/base.cpio"
    echo "$key" >"$kdir/base.key"
    rm -rf "$r"
}

# prepare KERNEL... : fetch kernels and build base initramfs images, under a lock so that
# parallel runs do not race.
prepare() {
    local refresh=$1
    shift
    ensure_tools
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9
    local v
    for v in "$@"; do
        fetch_kernel "$v" "$refresh"
        build_base "$v"
    done
    flock -u 9
    exec 9>&-
}

is_prepared() {
    local kdir=$CACHE/kernel-$1
    kernel_fetched "$1" && [[ -s $kdir/base.cpio && $(cat "$kdir/base.key" 2>/dev/null) == "$(base_key "$1")" ]]
}

cmd_prepare() {
    local refresh=0 sel=all
    while [[ $# -gt 0 ]]; do
        case $1 in
        --kernel) [[ $# -ge 2 ]] || die "--kernel needs a value"; sel=$2; shift 2 ;;
        --kernel=*) sel=${1#*=}; shift ;;
        --refresh) refresh=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "prepare: unknown argument '$1' (see --help)" ;;
        esac
    done
    local -a ks
    if [[ $sel == all ]]; then ks=("${KERNELS[@]}"); else check_kernel "$sel"; ks=("$sel"); fi
    prepare "$refresh" "${ks[@]}"
    cmd_info "${ks[@]}"
}

cmd_info() {
    local -a ks=("$@")
    [[ ${#ks[@]} -gt 0 ]] || ks=("${KERNELS[@]}")
    local v kdir
    for v in "${ks[@]}"; do
        kdir=$CACHE/kernel-$v
        if [[ -s $kdir/pkg ]]; then
            echo "kernel $v: $(cat "$kdir/pkg") ($(cat "$kdir/release")), vmlinux ${kdir#"$ROOT"/}/vmlinux, base $(du -h "$kdir/base.cpio" 2>/dev/null | cut -f1)"
        else
            echo "kernel $v: not prepared (scripts/vm.sh prepare --kernel $v)"
        fi
    done
}

# ---------------------------------------------------------------------------------------------
# Run

# host_tsc_khz: the host's TSC frequency in kHz (the kernel's own measurement when dmesg is
# readable, else /proc/cpuinfo; KEEL_VM_TSC_KHZ overrides).
host_tsc_khz() {
    if [[ -n ${KEEL_VM_TSC_KHZ:-} ]]; then
        echo "$KEEL_VM_TSC_KHZ"
        return
    fi
    local mhz
    mhz=$({ dmesg 2>/dev/null || true; } |
        sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' \
            -e 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n1)
    [[ -n $mhz ]] || mhz=$(sed -n 's/^cpu MHz[[:space:]]*: *\([0-9.]*\).*/\1/p' /proc/cpuinfo | head -n1)
    [[ -n $mhz ]] || mhz=2000
    awk -v m="$mhz" 'BEGIN { printf "%d\n", m * 1000 }'
}

# shquote WORD: WORD as one single-quoted POSIX shell word.
shquote() {
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "$s"
}

# Print the console without carriage returns and kernel noise lines.
console_text() {
    tr -d '\r' <"$1"
}

decode_wait_status() {
    local ws=$(($1))
    if ((ws & 0x7f)); then
        echo "killed by signal $((ws & 0x7f))"
    else
        echo "exited with status $(((ws >> 8) & 0xff))"
    fi
}

# Set by cmd_run for run_cleanup: the run's temp directory and its virtiofsd pids.
RUN_TMP=""
VIRTIOFSD_PIDS=()

run_cleanup() {
    local pid
    for pid in "${VIRTIOFSD_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true # it exits by itself when QEMU disconnects
        wait "$pid" 2>/dev/null || true
    done
    [[ -z $RUN_TMP ]] || rm -rf "$RUN_TMP"
}

# start_shares TMP LOG SPEC...: start one virtiofsd per --share HOSTDIR:TAG[:ro], with its
# output beside the console log LOG (X.log -> X.virtiofsN.log), and set SHARE_QEMU to the
# QEMU options of their devices (virtio-mmio: microvm has no PCI).
# A :ro share serves a read-only, non-recursive bind of HOSTDIR made in a private mount
# namespace of its virtiofsd (QEMU 7.2's virtiofsd has no read-only option): the host's
# mount table never shows it, it goes away with virtiofsd, and only HOSTDIR's own
# filesystem is served, none of the mounts below it.
start_shares() {
    local tmp=$1 vlog=${2%.log} spec host tag ro i=0 sock waited
    shift 2
    local virtiofsd=${KEEL_VM_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
    [[ -x $virtiofsd ]] || die "--share: no virtiofsd at $virtiofsd (Debian package qemu-system-common, or set KEEL_VM_VIRTIOFSD)"
    SHARE_QEMU=()
    for spec in "$@"; do
        ro=0
        if [[ $spec == *:ro ]]; then
            ro=1
            spec=${spec%:ro}
        fi
        [[ $spec == *:* ]] || die "--share wants HOSTDIR:TAG[:ro], got '$spec'"
        host=${spec%:*}
        tag=${spec##*:}
        [[ -d $host ]] || die "--share: not a directory: $host"
        [[ $tag =~ ^[A-Za-z0-9_.-]{1,36}$ ]] || die "--share: tag '$tag' must be 1-36 characters of [A-Za-z0-9_.-]"
        i=$((i + 1))
        sock=$tmp/virtiofs$i.sock
        if [[ $ro -eq 1 ]]; then
            command -v unshare >/dev/null 2>&1 || die "--share $host:$tag:ro: no unshare (util-linux) for the read-only bind"
            mkdir "$tmp/virtiofs$i.root"
            # shellcheck disable=SC2016 # $1..$4 are the inner sh's
            unshare --mount --propagation private sh -c \
                'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && exec "$3" --socket-path="$4" -o source="$2" -o cache=auto' \
                sh "$host" "$tmp/virtiofs$i.root" "$virtiofsd" "$sock" >"$vlog.virtiofs$i.log" 2>&1 &
        else
            "$virtiofsd" --socket-path="$sock" -o source="$host" -o cache=auto >"$vlog.virtiofs$i.log" 2>&1 &
        fi
        VIRTIOFSD_PIDS+=($!)
        # QEMU fails at once when the socket is not there yet.
        waited=0
        while [[ ! -S $sock ]]; do
            kill -0 "${VIRTIOFSD_PIDS[-1]}" 2>/dev/null ||
                die "--share $host:$tag: virtiofsd exited: $(tr '\n' ' ' <"$vlog.virtiofs$i.log" | cut -c1-300)"
            [[ $waited -lt 100 ]] || die "--share $host:$tag: virtiofsd made no socket $sock in 10 s"
            sleep 0.1
            waited=$((waited + 1))
        done
        SHARE_QEMU+=(-chardev "socket,id=virtiofs$i,path=$sock" -device "vhost-user-fs-device,chardev=virtiofs$i,tag=$tag")
    done
    # microvm's virtio-mmio transports are legacy (version 1) by default, which virtiofsd's
    # libvhost-user refuses ("virtio legacy devices aren't supported"), at the first request.
    SHARE_QEMU+=(-global virtio-mmio.force-legacy=off)
}

cmd_run() {
    local kernel="" timeout=30 log="" result="" keel=$TARGET/release/keel build=0 show=0
    local smp=1 mem=256
    local -a adds=() shares=() keel_args=()
    while [[ $# -gt 0 ]]; do
        case $1 in
        --kernel | --add | --share | --timeout | --log | --result | --keel | --smp | --mem)
            [[ $# -ge 2 ]] || die "$1 needs a value"
            case $1 in
            --kernel) kernel=$2 ;;
            --add) adds+=("$2") ;;
            --share) shares+=("$2") ;;
            --timeout) timeout=$2 ;;
            --log) log=$2 ;;
            --result) result=$2 ;;
            --keel) keel=$2 ;;
            --smp) smp=$2 ;;
            --mem) mem=$2 ;;
            esac
            shift 2
            ;;
        --build) build=1; shift ;;
        --show) show=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; keel_args=("$@"); break ;;
        *) die "run: unknown argument '$1' (keel arguments go after --; see --help)" ;;
        esac
    done
    [[ -n $kernel ]] || die "run: --kernel 6.1|6.12 is required"
    check_kernel "$kernel"
    [[ $timeout =~ ^[0-9]+$ && $timeout -gt 0 ]] || die "--timeout must be a positive number of seconds"
    [[ $smp =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ ]] || die "--smp and --mem take numbers"

    if [[ $build -eq 1 ]]; then
        (cd "$ROOT" && cargo build --release --bin keel) >&2 || die "cargo build --release --bin keel failed"
    fi
    [[ -f $keel ]] || die "no keel at ${keel#"$ROOT"/}: run 'cargo build --release --bin keel', or pass --build or --keel PATH"
    [[ -x $keel ]] || die "$keel is not executable"
    if elf_interp "$keel"; then
        die "$keel is dynamically linked (has PT_INTERP); the VM has no libc, keel must be static"
    fi

    if ! is_prepared "$kernel"; then
        prepare 0 "$kernel"
    fi
    local kdir=$CACHE/kernel-$kernel

    mkdir -p "$CACHE/runs"
    local tmp
    tmp=$(mktemp -d "$CACHE/runs/tmp.XXXXXX")
    RUN_TMP=$tmp
    trap run_cleanup EXIT
    if [[ -z $log ]]; then
        log=$CACHE/runs/$kernel-$(date +%Y%m%d-%H%M%S)-$$.log
        # Keep the 50 newest default logs.
        find "$CACHE/runs" -maxdepth 1 -name '*.log' -printf '%T@ %p\n' | sort -rn |
            tail -n +50 | cut -d' ' -f2- | xargs -r rm -f
    fi
    mkdir -p "$(dirname "$log")"
    : >"$log"

    # Per-run cpio: keel, its argv and the added files.
    local stage=$tmp/stage
    mkdir -p "$stage/sbin" "$stage/etc/keel-vm"
    cp "$keel" "$stage/sbin/keel"
    chmod 0755 "$stage/sbin/keel"
    {
        printf 'set --'
        local a
        for a in "${keel_args[@]}"; do
            printf ' %s' "$(shquote "$a")"
        done
        printf '\n'
    } >"$stage/etc/keel-vm/args"
    local spec host guest
    for spec in "${adds[@]}"; do
        [[ $spec == *:* ]] || die "--add wants HOST:GUEST, got '$spec'"
        host=${spec%:*}
        guest=${spec##*:}
        [[ -e $host ]] || die "--add: no such file: $host"
        [[ $guest == /* ]] || die "--add: guest path must be absolute: $guest"
        [[ $guest == */ ]] && guest=$guest$(basename "$host")
        case $guest in
        /sbin/keel | /init | /etc/keel-vm/*) die "--add: $guest is reserved by the harness (use --keel for keel)" ;;
        esac
        mkdir -p "$stage$(dirname "$guest")"
        if [[ -d $host ]]; then
            mkdir -p "$stage$guest"
            cp -a "$host/." "$stage$guest/"
        else
            cp -L --preserve=mode "$host" "$stage$guest"
        fi
    done
    [[ -d $stage/tmp ]] && chmod 1777 "$stage/tmp"
    [[ -d $stage/root ]] && chmod 0700 "$stage/root"
    local machine=microvm
    local -a share_qemu=()
    if [[ ${#shares[@]} -gt 0 ]]; then
        start_shares "$tmp" "$log" "${shares[@]}"
        share_qemu=("${SHARE_QEMU[@]}")
        # vhost-user: virtiofsd maps the guest's RAM, so it must be a shared memfd.
        machine+=",memory-backend=mem"
        share_qemu+=(-object "memory-backend-memfd,id=mem,size=${mem}M,share=on")
        # Appended after base.cpio's overlay.ko; N-NAME.ko sorts before it, in load order.
        mkdir -p "$stage/lib/modules/keel-vm"
        cp -R "$kdir/modules/virtiofs/." "$stage/lib/modules/keel-vm/"
    fi
    local initrd=$tmp/initrd.cpio
    cp "$kdir/base.cpio" "$initrd"
    truncate -s %4 "$initrd" # the kernel wants each appended archive 4-byte aligned
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >>"$initrd"

    # tsc_early_khz: under TCG the guest TSC is the host TSC, and the kernel's calibration
    # against the emulated PIT fails when the host is busy (then microvm, which has no
    # HPET/PM timer, hangs at boot). Telling the kernel the frequency skips calibration.
    local append="console=ttyS0 panic=-1 quiet"
    [[ $ACCEL == tcg ]] && append+=" tsc_early_khz=$(host_tsc_khz)"
    append+=" ${KEEL_VM_APPEND:-}"
    local -a qemu=(
        "$QEMU" -M "$machine" -accel "$ACCEL" -cpu "${KEEL_VM_CPU:-qemu64,+rdrand}" -smp "$smp" -m "$mem"
        -nodefaults -no-user-config -nic none -display none
        -chardev "file,id=con,path=$log" -serial chardev:con
        -no-reboot
        -kernel "$kdir/vmlinux" -initrd "$initrd" -append "$append"
        "${share_qemu[@]}"
    )
    local t0 t1 qrc=0
    t0=$(date +%s%N)
    timeout --kill-after=5 "$timeout" "${qemu[@]}" </dev/null >"$tmp/qemu.out" 2>&1 || qrc=$?
    t1=$(date +%s%N)
    local secs
    secs=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }')

    # Verdict.
    local text outcome status="" code detail
    text=$(console_text "$log")
    local status_line
    status_line=$(grep -E "$STATUS_RE" <<<"$text" | tail -n1 || true)
    if [[ -n $status_line && $status_line =~ $STATUS_RE ]]; then
        status=${BASH_REMATCH[1]}
    fi
    local panic_line
    panic_line=$(grep -m1 -E 'Kernel panic|Attempted to kill init' <<<"$text" || true)
    if [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
        outcome=timeout code=$EX_TIMEOUT
        detail="no power-off within ${timeout}s"
        [[ -n $status ]] && detail+=" (after keel reported status $status: it did not power off)"
    elif [[ $qrc -ne 0 ]]; then
        outcome=qemu-failed code=$EX_HARNESS
        detail="QEMU exited with $qrc: $(tr '\n' ' ' <"$tmp/qemu.out" | cut -c1-300)"
    elif grep -qE "$STAGE_FAIL_RE" <<<"$text"; then
        outcome=stage-failed code=$EX_HARNESS
        detail="the stage could not exec /sbin/keel: $(grep -m1 -E "$STAGE_FAIL_RE" <<<"$text" | cut -c1-200)"
    elif [[ -n $panic_line ]]; then
        outcome=panic code=$EX_PANIC
        detail=${panic_line#\[*\] }
        detail=${detail:0:200}
        if [[ $panic_line =~ exitcode=(0x[0-9a-fA-F]+) ]]; then
            detail+=" (PID 1 $(decode_wait_status "${BASH_REMATCH[1]}"))"
        fi
        [[ -n $status ]] && detail+="; keel had reported status $status"
    elif [[ -n $status ]]; then
        outcome=status code=$status
        detail="workload exited with status $status"
        grep -q 'reboot: Power down' <<<"$text" || detail+=" (no 'reboot: Power down' seen)"
    else
        outcome=no-status code=$EX_HARNESS
        detail="the VM stopped without a 'keel: workload exited with status N' line"
    fi

    note "kernel $kernel: $outcome: $detail [${secs}s, log ${log#"$ROOT"/}]"
    if [[ -n $result ]]; then
        {
            echo "outcome=$outcome"
            echo "status=$status"
            echo "exit=$code"
            echo "seconds=$secs"
            echo "log=$log"
            echo "detail=$detail"
        } >"$result"
    fi
    if [[ $show -eq 1 ]]; then
        console_text "$log"
    fi
    return "$code"
}

cmd_clean() {
    rm -rf "$CACHE"
    note "removed ${CACHE#"$ROOT"/}"
}

main() {
    [[ $# -gt 0 ]] || { usage >&2; exit "$EX_HARNESS"; }
    local cmd=$1
    shift
    case $cmd in
    prepare) cmd_prepare "$@" ;;
    run) cmd_run "$@" ;;
    info) cmd_info "$@" ;;
    clean) cmd_clean ;;
    -h | --help | help) usage ;;
    *) die "unknown command '$cmd' (prepare, run, info, clean; see --help)" ;;
    esac
}

main "$@"
