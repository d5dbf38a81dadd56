# shellcheck shell=bash disable=SC2034,SC2016 # the variables are read by scripts/vm-tests.sh; $ is for the guest
# Harness sanity: the stage loaded the kernel's overlay.ko (overlay is =m in Debian cloud
# kernels), so keel's overlay mounts can be tested in the VM.
DESCRIPTION="overlay is registered and an overlay mount works in the guest"
WORKLOAD='
fail() { echo "overlay-module: FAIL: $*"; exit 1; }
grep -qw overlay /proc/filesystems || fail "overlay is not in /proc/filesystems"
mount -t tmpfs tmpfs /mnt || fail "tmpfs on /mnt"
mkdir /mnt/lower /mnt/upper /mnt/work /mnt/merged
echo a >/mnt/lower/a
mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/upper,workdir=/mnt/work /mnt/merged ||
    fail "mount -t overlay"
echo b >/mnt/merged/b
[ -f /mnt/upper/b ] && [ "$(cat /mnt/merged/a)" = a ] || fail "overlay contents"
echo "overlay-module: ok"
'
EXPECT_STATUS=0
EXPECT_CONSOLE=('overlay-module: ok')
REJECT_CONSOLE=('keel-vm: stage: warning')
