#!/usr/bin/env python3
"""Layout checks of the Rust crates, run by scripts/test.sh:

1. no Rust source file over 1,000 lines (test data aside: nothing under a fixtures/ folder);
2. no import cycle between the modules of a crate.

A module is a file (foo.rs or foo/mod.rs); its edges are the modules its code names through
`crate::a::b`, `super::x`, `self::x` or a child module's name. A child's `#[cfg(test)] mod
tests` is skipped (its `use super::*` is how Rust tests are written). The check is textual,
so it errs towards seeing an edge; a cycle it reports is a real one to untangle. The one
reference not counted is `crate::main`: the start-up code calling the program's entry.

Problems listed in layout-open.txt (beside this script) are reported as open, not failed.

Usage: module-graph.py [-v] CRATE_DIR...   (-v prints the graph; exit 1 on a new problem)
"""

import re
import sys
from pathlib import Path

MAX_LINES = 1000


def modules(src: Path):
    """Maps each module path (a tuple of names; () is the crate root) to its file."""
    found = {}
    for path in sorted(src.rglob("*.rs")):
        rel = path.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "mod":
            parts.pop()
        # The crate root is lib.rs, or main.rs in a binary-only crate; a binary beside a
        # library is a node of its own (it reaches the library as an external crate).
        if parts == ["lib"] or (parts == ["main"] and not (src / "lib.rs").exists()):
            parts = []
        found[tuple(parts)] = path
    return found


def strip(text: str) -> str:
    """The code without comments, string literals and `#[cfg(test)] mod tests { … }` bodies."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    # One pass, leftmost first, so that a raw string's `r"` inside a plain string (or the
    # reverse) is not taken for the start of one.
    text = re.sub(r'\br(#*)"(?:.|\n)*?"\1|"(?:\\.|[^"\\])*"', '""', text)
    text = re.sub(r"'(?:\\.|[^'\\])'", "''", text)
    match = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    if match:
        text = text[: match.start()]
    return text


def resolve(mods, here, path):
    """The longest known module that `path` (a list of names from `here`) names, if any."""
    best = None
    for n in range(1, len(path) + 1):
        if tuple(path[:n]) in mods:
            best = tuple(path[:n])
    return best


def edges(mods):
    graph = {m: set() for m in mods}
    for here, file in mods.items():
        code = strip(file.read_text())
        children = set(re.findall(r"\bmod\s+(\w+)\s*;", code))
        # `use a::{b, c::d}` groups are flattened into one path per leaf.
        paths = []
        for m in re.finditer(r"\b((?:crate|super|self|\w+)(?:::(?:\w+|\{[^;]*?\}))+)", code):
            paths.extend(flatten(m.group(1)))
        for words in paths:
            if words == ["crate", "main"]:
                # The start-up code (sys) calling the program's `main` is how a no_main
                # program begins, not a module leaning on the root.
                continue
            if words[0] == "crate":
                target = resolve(mods, here, words[1:])
                if target is None:
                    target = ()
            elif words[0] in ("super", "self"):
                base = list(here)
                while words and words[0] in ("super", "self"):
                    if words[0] == "super":
                        base = base[:-1]
                    words = words[1:]
                target = resolve(mods, here, base + words) or tuple(base)
            elif words[0] in children:
                target = resolve(mods, here, list(here) + words)
            else:
                continue
            if target is not None and target != here:
                graph[here].add(target)
    return graph


def flatten(path: str):
    """`a::{b, c::{d, e}}` as [[a, b], [a, c, d], [a, c, e]]."""
    head, sep, rest = path.partition("::{")
    words = head.split("::")
    if not sep:
        return [words]
    inner = rest[: rest.rfind("}")]
    out, depth, item = [], 0, ""
    for ch in inner + ",":
        if ch == "," and depth == 0:
            item = item.strip()
            if item and item != "self":
                for sub in flatten(item):
                    out.append(words + sub)
            elif item == "self":
                out.append(words)
            item = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        item += ch
    return out


def cycles(graph):
    """Every strongly connected set of more than one module (Tarjan's algorithm)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def name(module):
    return "::".join(module) or "(root)"


def main(argv):
    verbose = "-v" in argv
    dirs = [a for a in argv if a != "-v"]
    failures, checked = [], 0
    for crate in map(Path, dirs):
        for path in sorted(crate.rglob("*.rs")):
            if "fixtures" in path.parts or "target" in path.parts:
                continue
            checked += 1
            lines = path.read_text().count("\n")
            if lines > MAX_LINES:
                failures.append(f"{path}: {lines} lines, over {MAX_LINES}")
        src = crate / "src"
        mods = modules(src)
        graph = edges(mods)
        if verbose:
            for m in sorted(graph):
                print(f"{crate.name}: {name(m)} -> {', '.join(sorted(map(name, graph[m])))}")
        for group in cycles(graph):
            failures.append(f"{crate}: modules import each other in a cycle: "
                            + ", ".join(sorted(map(name, group))))
    known_file = Path(__file__).with_name("layout-open.txt")
    known = [line.strip() for line in known_file.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    new = [f for f in failures if f not in known]
    gone = [k for k in known if k not in failures]
    for failure in failures:
        tag = "open (scripts/lib/layout-open.txt)" if failure in known else "new"
        print(f"layout: {tag}: {failure}", file=sys.stderr)
    for entry in gone:
        print(f"layout: fixed, delete its line from {known_file}: {entry}", file=sys.stderr)
    if checked == 0:
        print("layout: no Rust file checked", file=sys.stderr)
        return 1
    print(f"layout: {checked} Rust files in {len(dirs)} crates: {len(new)} new problems, "
          f"{len(failures) - len(new)} known and open, {len(gone)} fixed but still listed")
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
