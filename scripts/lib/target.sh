# shellcheck shell=bash
# Where cargo puts keel's binaries, for every script (sourced after it sets ROOT): TARGET is
# CARGO_TARGET_DIR when the environment sets it (made absolute, as cargo would read it from
# the caller's directory), else ROOT/target; it is exported, so cargo and the scripts this
# one starts agree. A script that built into one directory and looked in another ran
# nothing (issue 17: fuzz-vm.sh with CARGO_TARGET_DIR set).
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
export CARGO_TARGET_DIR=$TARGET
