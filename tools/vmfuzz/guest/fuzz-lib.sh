# shellcheck shell=bash
# Host side of the VM fuzzer, shared by scripts/fuzz-vm.sh and the VM cases
# crates/keel/tests/vm/fuzz-regressions.sh and fuzz-pid1-regression.sh (sourced). A case
# directory is what tools/vmfuzz writes (config.cfg, payload, userns, expect); the
# guest runner is fuzz-runner.sh beside this file (tools/vmfuzz/guest/).
#
#   fz_build_helper OUT          build tools/vmfuzz/guest/fuzz-ns.c statically into OUT
#   fz_adds CASES HELPER         the HOST:GUEST files of one runner boot (scripts/vm.sh --add)
#   fz_evaluate LOG CASES        one verdict line per case of CASES found in the console LOG:
#                                "NAME CLASS why", CLASS one of ok, error (a documented
#                                refusal), FAIL-crash, FAIL-hang, FAIL-leak, FAIL-kernel,
#                                FAIL-state, FAIL-status, FAIL-message, FAIL-lost
#   fz_evaluate_pid1 RESULT CASE the verdict of a boot with the case's keel as the kernel's
#                                PID 1 (scripts/vm.sh --result file)

FZ_GUEST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fz_build_helper() {
    cc -static -O2 -s -o "$1" "$FZ_GUEST/fuzz-ns.c"
}

fz_adds() {
    printf '%s\n' "$1:/fuzz/cases" "$FZ_GUEST/fuzz-runner.sh:/fuzz/runner" "$2:/fuzz/fuzz-ns"
}

# fz_expect CASE KEY: a value of CASE/expect.
fz_expect() {
    sed -n "s/^$2=//p" "$1/expect"
}

fz_evaluate() {
    local log=$1 cases=$2 text dir
    text=$(tr -d '\r' <"$log")
    for dir in "$cases"/*/; do
        dir=${dir%/}
        [[ -f $dir/config.cfg ]] || continue
        fz_evaluate_one "$dir" "$(grep -aE "^FZ-[A-Z]+ ${dir##*/}( |\$)" <<<"$text" || true)"
    done
}

# fz_evaluate_one CASE LINES: the verdict of one case from its FZ- lines.
fz_evaluate_one() {
    local dir=$1 lines=$2 name=${1##*/}
    local kind allow signal checks decode verbosity result
    kind=$(fz_expect "$dir" kind)
    allow=" $(fz_expect "$dir" allow) "
    signal=$(fz_expect "$dir" signal)
    checks=$(fz_expect "$dir" checks)
    decode=$(fz_expect "$dir" decode_error)
    verbosity=$(fz_expect "$dir" verbosity)
    if ! grep -q "^FZ-END $name\$" <<<"$lines"; then
        echo "$name FAIL-lost the runner never finished it (the VM died or hung in it)"
        return
    fi
    result=$(sed -n "s/^FZ-CASE $name //p" <<<"$lines")
    local -a err=()
    mapfile -t err < <(sed -n "s/^FZ-ERR $name //p" <<<"$lines")
    local ran=0 fails leaks kmsg
    grep -q "^FZ-OUT $name FZ-RAN" <<<"$lines" && ran=1
    fails=$(sed -n "s/^FZ-OUT $name FZ-FAIL //p" <<<"$lines" | head -n 3 | tr '\n' ';')
    leaks=$(sed -n "s/^FZ-LEAK $name //p" <<<"$lines" | head -n 2 | tr '\n' ';')
    kmsg=$(sed -n "s/^FZ-KMSG $name //p" <<<"$lines" | head -n 2 | tr '\n' ';')
    local status=""
    case $result in
    "exit "*) status=${result#exit } ;;
    "signal "*)
        if [[ ${result#signal } != "$signal" ]]; then
            echo "$name FAIL-crash keel died of $result; stderr: ${err[*]:0:2}"
            return
        fi
        ;;
    timeout)
        echo "$name FAIL-hang keel did not end within the case timeout"
        return
        ;;
    *)
        echo "$name FAIL-lost the harness could not run it: $result ${err[*]:0:1}"
        return
        ;;
    esac
    if [[ -n $kmsg ]]; then
        echo "$name FAIL-kernel $kmsg"
        return
    fi
    if [[ -n $leaks ]]; then
        echo "$name FAIL-leak $leaks"
        return
    fi
    if [[ $status == 70 ]]; then
        echo "$name FAIL-crash keel's internal error: ${err[*]:0:2}"
        return
    fi
    if [[ -n $status && $allow != *" $status "* ]]; then
        echo "$name FAIL-status exit $status, allowed:$allow; stderr: ${err[*]:0:2}"
        return
    fi
    if [[ ${err[0]:-} == fuzz-ns:* ]]; then
        echo "$name FAIL-lost the harness failed: ${err[0]}"
        return
    fi
    # Messages: a refused config is exactly the decoder's line; otherwise keel's lines all
    # start "keel: " (a mutated config's program may write anything), and a set-up failure
    # (the payload never ran) says why in one line when keel reports errors only.
    if [[ -n $decode ]]; then
        local want="keel: config /fuzz/cases/$name/config.cfg: $decode"
        if [[ ${#err[@]} -ne 1 || ${err[0]} != "$want" ]]; then
            echo "$name FAIL-message want \"$want\", got ${#err[@]} lines: ${err[*]:0:2}"
            return
        fi
    elif [[ $kind != binary ]]; then
        local line
        for line in "${err[@]}"; do
            if [[ $line != "keel: "* ]]; then
                echo "$name FAIL-message a stderr line that is not keel's: $line"
                return
            fi
        done
        if [[ $ran == 0 && -n $status ]] && { [[ ${#err[@]} -eq 0 ]] || [[ $verbosity == 0 && ${#err[@]} -ne 1 ]]; }; then
            echo "$name FAIL-message exit $status before the payload ran, with ${#err[@]} stderr lines"
            return
        fi
    fi
    if [[ $checks == 1 && ( $ran == 0 || -n $fails ) ]]; then
        echo "$name FAIL-state ${fails:-the payload did not run}; stderr: ${err[*]:0:2}"
        return
    fi
    if [[ $ran == 1 && $kind != binary ]] || [[ $kind == binary && -z $decode && $ran == 1 ]]; then
        echo "$name ok $result"
    else
        echo "$name error $result: ${err[*]: -1}"
    fi
}

fz_evaluate_pid1() {
    local result=$1 dir=$2 name=${2##*/} outcome status allow
    outcome=$(sed -n 's/^outcome=//p' "$result")
    status=$(sed -n 's/^status=//p' "$result")
    allow=" $(fz_expect "$dir" allow) "
    case $outcome in
    status)
        if [[ $allow == *" $status "* ]]; then
            echo "$name ok pid1 status $status"
        else
            echo "$name FAIL-status pid1 status $status, allowed:$allow"
        fi
        ;;
    panic) echo "$name FAIL-crash pid1 kernel panic: $(sed -n 's/^detail=//p' "$result")" ;;
    timeout) echo "$name FAIL-hang pid1 $(sed -n 's/^detail=//p' "$result")" ;;
    *) echo "$name FAIL-lost pid1 $outcome: $(sed -n 's/^detail=//p' "$result")" ;;
    esac
}
