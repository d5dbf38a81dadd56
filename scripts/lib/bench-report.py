#!/usr/bin/env python3
"""Turns the raw data scripts/bench.sh collected into its markdown report (on stdout).

Usage: bench-report.py RAW_DIR. Only reads; every number comes from a file in RAW_DIR.
"""
import csv
import glob
import json
import os
import re
import statistics
import sys

RAW = sys.argv[1]


def path(*p):
    return os.path.join(RAW, *p)


def read(*p):
    with open(path(*p)) as f:
        return f.read()


def kv_file(text, sep=":"):
    out = {}
    for line in text.splitlines():
        if sep in line:
            k, v = line.split(sep, 1)
            out[k.strip()] = v.strip()
    return out


def kb(v):
    return int(v.split()[0])


def fmt_int(n):
    return f"{n:,}"


meta = kv_file(read("meta.txt"), "=")
NAMES = meta["names"].split()  # bench.sh's list, in report order
with open(path("inits.tsv")) as f:
    inits = {r["name"]: r for r in csv.DictReader(f, delimiter="\t")}


def linking(desc):
    kind = "static" if ("statically linked" in desc or "static-pie" in desc) else "dynamic"
    if "pie executable" in desc or "static-pie" in desc:
        kind += ", PIE"
    return kind


# ---- hyperfine -------------------------------------------------------------------------------------
rounds = sorted(glob.glob(path("hyperfine.*.json")))
per_round = {}  # command -> [median of each round]
fastest = {}
for f in rounds:
    for r in json.loads(open(f).read())["results"]:
        per_round.setdefault(r["command"], []).append(statistics.median(r["times"]) * 1e6)
        fastest[r["command"]] = min(fastest.get(r["command"], 1e18), min(r["times"]) * 1e6)
hf = {c: (statistics.median(m), fastest[c]) for c, m in per_round.items()}
base_us = hf["true"][0]
ref_us = hf["tini-static"][0]


# ---- strace -c -------------------------------------------------------------------------------------
def strace_c(name):
    calls, per = None, []
    for line in read("strace", f"{name}.c.txt").splitlines():
        t = line.split()
        if not t or not t[0][0].isdigit() or len(t) < 5:
            continue
        errs = int(t[4]) if len(t) == 6 else 0
        if t[-1] == "total":
            calls = (int(t[3]), errs)
        else:
            per.append((t[-1], int(t[3]), errs))
    return calls, per


# ---- memory ------------------------------------------------------------------------------------------
def mem(name):
    rss, anon, pss = [], [], []
    for st in sorted(glob.glob(path("mem", f"{name}.*.status"))):
        s = kv_file(open(st).read())
        m = kv_file(open(st[: -len(".status")] + ".smaps").read())
        rss.append(kb(s["VmRSS"]))
        anon.append(kb(s["RssAnon"]))
        pss.append(kb(m["Pss"]))
    return [(statistics.median(x), min(x), max(x), len(x)) for x in (rss, anon, pss)]


# ---- idle: syscalls of the init between its child's spawn and its child's exit ---------------------
LINE = re.compile(r"^(\d+\.\d+) (\w+)\((.*)<(\d+\.\d+)>$")
SPAWN = {"clone", "clone3", "fork", "vfork"}


def idle(name):
    binary = inits[name]["binary"]
    files = glob.glob(path("idle", f"{name}.*"))
    init_file = next(f for f in files if f'execve("{binary}"' in open(f).readline())
    calls, signals, spawn_end, child = [], [], None, None
    for line in open(init_file):
        m = LINE.match(line)
        if m:
            ts, sc, rest, dur = float(m[1]), m[2], m[3], float(m[4])
            calls.append((ts, sc, dur))
            if sc in SPAWN and child is None:
                child = re.search(r"= (\d+) $", rest)[1]
                spawn_end = ts + dur
        elif line.split(" ", 1)[1].startswith("--- SIG"):
            signals.append(float(line.split()[0]))
    # The child's exit: the entry of its exit_group (strace notes "+++ exited" only after the
    # parent may already have been woken), else that "+++" line (killed by a signal).
    child_exit = None
    for l in open(path("idle", f"{name}.{child}")):
        if re.match(r"^\d+\.\d+ (exit_group\(|\+\+\+ (exited|killed))", l) and child_exit is None:
            child_exit = float(l.split()[0])
    if child_exit is None:
        sys.exit(f"bench-report: no exit of {name}'s child {child} in its trace")
    # The window starts 0.1 s after the spawn returned (start-up is over by then even under strace)
    # and ends when the child exits; a syscall counts if it *returned* inside it.
    lo, hi = spawn_end + 0.1, child_exit
    inside = [(sc, dur) for ts, sc, dur in calls if lo < ts + dur < hi]
    wakes = sum(1 for _, dur in inside if dur >= 0.001) + sum(1 for t in signals if lo < t < hi)
    names = {}
    for sc, _ in inside:
        names[sc] = names.get(sc, 0) + 1
    return len(inside), wakes, names, hi - lo


def ctxt(name):
    a = kv_file(read("ctxt", f"{name}.a"))
    b = kv_file(read("ctxt", f"{name}.b"))
    return (int(b["voluntary_ctxt_switches"]) - int(a["voluntary_ctxt_switches"]),
            int(b["nonvoluntary_ctxt_switches"]) - int(a["nonvoluntary_ctxt_switches"]))


# ---- main table ----------------------------------------------------------------------------------------
runs = meta["runs"]
print("# keel vs. peer inits: one run of scripts/bench.sh\n")
print(f"{meta['date']}; {meta['host']}; sched_autogroup_enabled={meta['autogroup']}; keel {meta['keel']}; "
      f"{meta['tools']}.\n")
if meta.get("keel_note"):
    print(f"**Warning:** {meta['keel_note']}\n")
load1 = max(float(x) for x in meta["load"].split())
if load1 > 0.5 * int(meta["cpus"]):
    print(f"**Note:** the machine was busy (load average {meta['load']}, {meta['cpus']} CPUs): the "
          "timings below are noisy; compare the inits within this run (they were measured side by side), "
          "and look at the `min µs` column too.\n")

hdr = ["init", "command", "bytes", "linking", "VmRSS kB", "RssAnon kB", "Pss kB",
       "median µs `-- true`", "min µs", "× tini-static", "+µs vs true", "syscalls (errors)",
       "idle syscalls", "idle wake-ups", "idle vol. ctxt sw"]
print("| " + " | ".join(hdr) + " |")
print("|" + "|".join(["---"] * 2 + ["--:"] * (len(hdr) - 2)) + "|")
details = {}
for name in NAMES:
    r = inits[name]
    (rss, anon, pss) = mem(name)
    med = hf[name][0]
    (calls, errs), per = strace_c(name)
    n_idle, wakes, idle_names, window = idle(name)
    vol, invol = ctxt(name)
    size = fmt_int(int(r["stripped_bytes"]))
    if r["stripped_bytes"] != r["bytes"]:
        size += f" (unstripped {fmt_int(int(r['bytes']))})"
    row = [f"**{name}**", f"`{os.path.basename(r['command'].split()[0])}"
           + (" " + " ".join(r["command"].split()[1:]) if len(r["command"].split()) > 1 else "") + "`",
           size, linking(r["file"]),
           f"{rss[0]:g}", f"{anon[0]:g}", f"{pss[0]:g}",
           f"{med:.1f}", f"{hf[name][1]:.0f}", f"{med / ref_us:.2f}", f"{med - base_us:+.0f}",
           f"{calls} ({errs})", str(n_idle), str(wakes),
           str(vol) + (f" (+{invol} invol.)" if invol else "")]
    print("| " + " | ".join(row) + " |")
    details[name] = (per, idle_names, rss, anon, pss)
(calls, errs), base_per = strace_c("true")
t = inits["true"]
print("| /bin/true alone | `true` | " + fmt_int(int(t["stripped_bytes"])) + " | " + linking(t["file"])
      + f" | | | | {base_us:.1f} | {hf['true'][1]:.0f} | {base_us / ref_us:.2f} | — | {calls} ({errs}) | | | |")

print(f"\nSize budgets that scripts/test.sh enforces (scripts/lib/size-budgets.sh): {meta['budgets']} bytes; "
      "the goals are 49,152 (full) and 16,384 (minimal).")

print(f"""
How each column was measured (all on this machine, in this one run):

* **bytes**: `stat -c %s` of the installed binary (all are already stripped; an unstripped one would be
  measured after `strip`); **linking** from `file -L`.
* **VmRSS / RssAnon** from `/proc/PID/status`, **Pss** from `/proc/PID/smaps_rollup`, of the init while it
  supervises `sleep 3`, read 0.3 s after the start; median of {rss[3]} rounds (all the inits run side by side
  in each round).
* **median µs**: `hyperfine -N --warmup 20 --runs {runs}` with all {len(NAMES) + 1} commands in one invocation, run
  {len(rounds)} time(s) with the order rotated; the median of the per-run wall times from `--export-json` of each
  invocation, then the median of those {len(rounds)}. **× tini-static** is the ratio of those medians, **+µs vs
  true** the overhead over running `/bin/true` alone ({base_us:.1f} µs); **min µs** the fastest single run.
  1-minute load average before each invocation and after the last: {meta['load']}. Timings are
  informative only.
* **syscalls**: `strace -c` (no `-f`, so the init process alone) of `INIT /bin/true`: total calls (errors).
* **idle syscalls / wake-ups**: `strace -ff -ttt -T` of `INIT sleep {meta['idle_secs']}`; the init's syscalls
  that *returned* between 0.1 s after the spawn and the child's exit ({window:.2f} s); a wake-up is a return
  from a call that blocked ≥ 1 ms, or a signal delivery. **idle vol. ctxt sw**: delta of
  `voluntary_ctxt_switches` of an untraced `INIT sleep {meta['idle_secs']}` between 0.3 s and 2.9 s.
""")

print("<details><summary>Details: syscall breakdown, per-invocation timings, memory ranges</summary>\n")
print("| init | `INIT /bin/true`: calls×name (errors) | idle window |")
print("|---|---|---|")
for name in NAMES + ["true"]:
    per = details[name][0] if name != "true" else base_per
    s = ", ".join(f"{sc}×{c}" + (f" ({e} err)" if e else "") for sc, c, e in per)
    idle_s = ", ".join(f"{k}×{v}" for k, v in details[name][1].items()) if name != "true" else ""
    print(f"| {name if name != 'true' else '/bin/true'} | {s} | {idle_s or '—'} |")
print("\nMedian µs of each hyperfine invocation: " + "; ".join(
    f"{c} " + " / ".join(f"{m:.0f}" for m in ms) for c, ms in per_round.items()) + ".\n")
print("Memory ranges (min–max kB over the rounds): " + "; ".join(
    f"{n} VmRSS {d[2][1]}–{d[2][2]}, RssAnon {d[3][1]}–{d[3][2]}, Pss {d[4][1]}–{d[4][2]}"
    for n, d in details.items()) + ".\n")
print("</details>\n")

# ---- keel's anatomy -------------------------------------------------------------------------------------
print("## keel's binary\n")
file_bytes = int(inits["keel"]["stripped_bytes"])
matched, total_file_syms, bss, groups = [], 0, [], {}


def group(sym):
    """Roughly which module a demangled symbol's code belongs to: keel::MOD, core::MOD or the crate."""
    if sym.startswith("<"):
        inner = sym[1:].split(">::", 1)[0]
        typ, _, trait = inner.partition(" as ")
        typ = typ.lstrip("&").removeprefix("mut ").removeprefix("dyn ")
        sym = typ if "::" in typ or not trait else trait
        if "::" not in sym:
            return "core (primitive types)"
    parts = sym.split("::")
    return "::".join(parts[:2]) if parts[0] in ("keel", "core") and len(parts) >= 2 else parts[0]


for line in read("keel.nm.txt").splitlines():
    parts = line.split(None, 3)
    if len(parts) != 4:
        continue
    _, sz, typ, sym = parts
    sz = int(sz, 16)
    hit = "wire::" in sym or "config::" in sym
    if typ in "bB":
        if hit:
            bss.append((sz, sym))
        continue
    total_file_syms += sz
    g = group(sym)
    groups[g] = groups.get(g, 0) + sz
    if hit:
        matched.append((sz, typ, sym))
dec = sum(s for s, _, _ in matched)
print("| what | bytes | share of the stripped file |")
print("|---|--:|--:|")
print(f"| stripped `target/release/keel` | {fmt_int(file_bytes)} | 100 % |")
print(f"| all sized symbols in text/rodata/data (unstripped twin) | {fmt_int(total_file_syms)} | "
      f"{100 * total_file_syms / file_bytes:.1f} % |")
print(f"| config decoder: symbols matching `wire::` or `config::` ({len(matched)}) | {fmt_int(dec)} | "
      f"{100 * dec / file_bytes:.1f} % |")
if bss:
    print(f"| (not in the file) their .bss: " + ", ".join(f"`{s}` {fmt_int(z)}" for z, s in sorted(bss, reverse=True))
          + f" | {fmt_int(sum(z for z, _ in bss))} | — |")
print("""
An **estimate**: the release profile uses LTO and `opt-level = "z"`, so decoder code inlined into callers
(`keel::main`, …) is counted there, and code shared with the rest (`core::str`, `memchr`, formatting) is not
counted; the symbols come from `nm --size-sort -S -C` of an unstripped build of the same tree
(`CARGO_PROFILE_RELEASE_STRIP=false`, `--target-dir target/bench/unstripped`).
""")
if matched:
    print("<details><summary>The matching symbols</summary>\n")
    print("| bytes | nm type | symbol |")
    print("|--:|:-:|---|")
    for sz, typ, sym in sorted(matched, reverse=True):
        print(f"| {sz} | {typ} | `{sym}` |")
    print("\n</details>\n")


print("Sized text/rodata/data symbols by module (roughly: an impl counts for its type, or for its trait"
      " when the type is a primitive; LTO inlining moves bytes into callers such as `keel::main`):\n")
print("| module | bytes |")
print("|---|--:|")
for g, sz in sorted(groups.items(), key=lambda kv: -kv[1]):
    print(f"| `{g}` | {fmt_int(sz)} |")
print()


def sections(name):
    out = []
    for line in read(name).splitlines():
        t = line.split()
        if len(t) == 3 and t[0].startswith("."):
            out.append((t[0], int(t[1])))
    return out


secs = sections("keel.size.txt")
unst = dict(sections("keel-unstripped.size.txt"))
in_file = sum(s for n, s in secs if n != ".bss" and not n.startswith(".tbss"))
print("ELF sections of the stripped binary (`size -A`):\n")
print("| section | bytes | in the file | unstripped twin |")
print("|---|--:|:-:|--:|")
for n, s in secs:
    print(f"| `{n}` | {fmt_int(s)} | {'no (NOBITS)' if n in ('.bss', '.tbss') else 'yes'} | "
          f"{fmt_int(unst[n]) if n in unst else '—'} |")
print(f"| ELF and program headers, `.shstrtab`, section table, padding | {fmt_int(file_bytes - in_file)} | yes | |")
print(f"| **file** | **{fmt_int(file_bytes)}** | | |")
