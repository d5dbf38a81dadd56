# The stripped sizes, in bytes, that the two keel builds must not exceed: scripts/test.sh
# (and so CI) fails above them, and scripts/bench.sh prints them. Sizes are deterministic,
# so this is a check, not a timed test. Each change that shrinks keel lowers its budget to
# the new size; issue 12's goals are 49152 (full) and 16384 (minimal).
# shellcheck shell=bash
# +10464 bytes: services ([[service]]: readiness, restarts, ordered stop; the services feature).
FULL_BUDGET=103920
MINIMAL_BUDGET=35784
