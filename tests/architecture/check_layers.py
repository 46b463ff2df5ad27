#!/usr/bin/env python3
"""Checks that src/ keeps the layering drawn in docs/architecture.md: a file includes headers of
its own module or of modules in lower layers only, never sideways or upward.

The layers are read from the table between the `layers:begin` and `layers:end` markers of
docs/architecture.md, so the drawing and the code cannot drift apart. A module is a folder of
src/, or a single file named there (audit/chain: the audit records, which the store keeps).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2])


def read_layers():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- layers:begin -->(.*?)<!-- layers:end -->", doc, re.S)
    if not m:
        sys.exit("docs/architecture.md: no <!-- layers:begin --> … <!-- layers:end --> table")
    layers = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].isdigit():
            continue
        for name in re.findall(r"`([a-z0-9/_]+)/?`", cells[1]):
            layers[name.rstrip("/")] = int(cells[0])
    return layers


def module_of(rel, layers):
    stem = rel.rsplit(".", 1)[0]
    if stem in layers:  # a single file with a layer of its own
        return stem
    return rel.split("/", 1)[0]


def main():
    layers = read_layers()
    problems = []
    for path in sorted((ROOT / "src").rglob("*.[ch]")):
        rel = path.relative_to(ROOT / "src").as_posix()
        mod = module_of(rel, layers)
        if mod not in layers:
            problems.append(f"src/{rel}: module {mod}/ is not in the layer table")
            continue
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+/[^"]+)"', line)
            if not m:
                continue
            target = module_of(m.group(1), layers)
            if target == mod or target not in layers:
                continue
            if layers[target] >= layers[mod]:
                problems.append(
                    f"src/{rel}:{n}: {mod} (layer {layers[mod]}) includes {m.group(1)} "
                    f"({target}, layer {layers[target]}): only lower layers may be included")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include(s) against the layering of docs/architecture.md")
        return 1
    print(f"layering holds: {len(layers)} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
