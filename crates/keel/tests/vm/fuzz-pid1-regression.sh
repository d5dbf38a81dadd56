# shellcheck shell=bash disable=SC2034 # the variables are read by scripts/vm-tests.sh
# Replays the case scripts/fuzz-vm.sh saved from a boot with keel as the kernel's own PID 1
# (a regressions/NAME/ beside this file, with a `pid1` marker): keel must end that boot with
# a status line and power off, never with a kernel panic or a hang. One boot takes one
# config, so this replays the first such case (they are rare; fix one, then the next one
# shows). Skipped when there is none.
DESCRIPTION="the VM fuzzer's first saved PID-1 regression (crates/keel/tests/vm/regressions/*/pid1)"
# shellcheck source=tools/vmfuzz/guest/fuzz-lib.sh
. "$ROOT/tools/vmfuzz/guest/fuzz-lib.sh"
KERNELS=none
for reg in "$CASE_DIR"/regressions/*/; do
    [[ -f $reg/pid1 ]] || continue
    reg=${reg%/}
    KERNELS="6.1 6.12"
    ADD=("$reg:/fuzz/cases/${reg##*/}")
    KEEL_ARGS=(-c "/fuzz/cases/${reg##*/}/config.cfg")
    # The status keel must report: the first the case allows (a refused config: 2).
    read -r EXPECT_STATUS _ <<<"$(fz_expect "$reg" allow)"
    break
done
