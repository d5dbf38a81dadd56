# The stripped sizes, in bytes, that the two keel builds must not exceed: scripts/test.sh
# (and so CI) fails above them, and scripts/bench.sh prints them. Sizes are deterministic,
# so this is a check, not a timed test. Each change that shrinks keel lowers its budget to
# the new size; issue 12's goals are 49152 (full) and 16384 (minimal).
# shellcheck shell=bash
# +2240 (issue 14): +272 a mount on / as the new root and maps without a root (Sandbox.jl's
# flow), +1968 the fixes in the errors an unprivileged keel can meet;
# +5376: the launcher interface (--status-fd, --block-fd; issue 14 part 4), under namespaces;
# +3912: subordinate id ranges through newuidmap/newgidmap (issue 14 part 2), under namespaces;
# +10464: services ([[service]]: readiness, restarts, ordered stop; the services feature).
FULL_BUDGET=115576
# -216: a keel without the seal part no longer takes (and silently ignored) --seal and --no-seal;
# +72: the decoder's services section and its "built without services" refusal.
MINIMAL_BUDGET=35640
