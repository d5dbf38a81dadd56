# shellcheck shell=bash disable=SC2034 # the variables are read by scripts/vm-tests.sh
# Replays every case scripts/fuzz-vm.sh saved in regressions/ beside this file (one directory
# per failing case: config.cfg, payload, userns, expect, and `found`, how it failed), in one
# boot, each as keel PID 1 of fresh namespaces, judged exactly as in the campaign
# (tools/vmfuzz/guest/fuzz-lib.sh). With no saved regression the boot still runs the runner.
DESCRIPTION="the VM fuzzer's saved regressions (crates/keel/tests/vm/regressions/) still pass"
# shellcheck source=tools/vmfuzz/guest/fuzz-lib.sh
. "$ROOT/tools/vmfuzz/guest/fuzz-lib.sh"
FZ_TMP=$(mktemp -d "${TMPDIR:-/tmp}/keel-fz.XXXXXX")
# shellcheck disable=SC2064 # expand now: the directory of this sourcing shell
trap "rm -rf '$FZ_TMP'" EXIT
fz_build_helper "$FZ_TMP/fuzz-ns"
mkdir "$FZ_TMP/cases"
for reg in "$CASE_DIR"/regressions/*/; do
    [[ -f $reg/config.cfg && ! -f $reg/pid1 ]] && cp -r "$reg" "$FZ_TMP/cases/"
done
mapfile -t ADD < <(fz_adds "$FZ_TMP/cases" "$FZ_TMP/fuzz-ns")
KEEL_ARGS=(-- /fuzz/runner)
VM_ARGS=(--mem 512)
TIMEOUT=$((60 + 25 * $(find "$FZ_TMP/cases" -mindepth 1 -maxdepth 1 | wc -l)))
EXPECT_STATUS=0
EXPECT_CONSOLE=('^FZ-DONE [0-9]+')
check() {
    local failures
    failures=$(fz_evaluate "$1" "$FZ_TMP/cases" | grep ' FAIL-' || true)
    [[ -z $failures ]] || { echo "$failures"; return 1; }
}
