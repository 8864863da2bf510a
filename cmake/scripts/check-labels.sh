#!/usr/bin/env bash
# Invariant labels (docs/design.md, "Where the rules live"): the code names its rules with
# short labels (`// R3: at most one idle machine waits with a timeout...`) and cites them
# elsewhere (`(R3)`, `R3 in scheduler.hpp`). A label's letters are its family; each family
# is defined in one file. A definition is a comment line `// <LABEL>: ...` (LABEL: one to
# three capital letters, then digits) in a C++ source or header that is either
#   - in the file's leading comment block (the comment and blank lines before its first
#     line of code or preprocessor), or
#   - in a comment block directly above (no blank line between) a declaration, outside any
#     function body, of a struct, class, union, enum, namespace, variable or data member.
# A `// <LABEL>:` line inside a function body or above a function is a citation: the
# rule it keeps there, not a new one. This check fails when
#   1. one family (so one label, too) is defined in two files;
#   2. a family defined in the tree has no row in docs/design.md's table, or its row names
#      another file, or a defined label lies outside the row's range (`F1–F5`);
#   3. a row of that table names a family its file does not define.
# Usage: check-labels.sh [SOURCE_DIR]   (run by ctest as layout.unique_labels)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
exec python3 - <<'EOF'
import os, re, sys

DIRS = ["runtime", "channels", "patterns", "samples", "perf", "test", "tools"]
EXTS = (".hpp", ".cpp", ".h")
LABEL_LINE = re.compile(r"^\s*//\s*([A-Z]{1,3})([0-9]+)[a-z]?:")
TABLE_HEAD = "## Where the rules live"


def sources():
    for d in DIRS:
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames[:] = sorted(x for x in dirnames if x != "build")
            for f in sorted(filenames):
                if f.endswith(EXTS):
                    yield os.path.join(dirpath, f)


def code_only(text):
    """The text with comments, string and character literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith('R"', i) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c); i += 1; continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i)); i = j
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'\n])'", text[i:])
            # A digit separator (10'000) is not a literal.
            if m and not (i and text[i-1].isalnum()):
                out.append(" " * len(m.group(0))); i += len(m.group(0))
            else:
                out.append(c); i += 1
        else:
            out.append(c); i += 1
    return "".join(out)


def strip_noise(head):
    """A declaration's head without template<...>, access specifiers and attributes."""
    head = head.strip()
    while True:
        m = re.match(r"(public|private|protected)\s*:(?!:)\s*", head)
        if m:
            head = head[m.end():]; continue
        if head.startswith("template"):
            i, depth = head.find("<"), 0
            if i < 0:
                break
            for j in range(i, len(head)):
                depth += {"<": 1, ">": -1}.get(head[j], 0)
                if depth == 0:
                    head = head[j + 1:].lstrip(); break
            else:
                break
            continue
        break
    # Attributes and annotation macros may carry parentheses on a type or a variable.
    head = re.sub(r"\[\[.*?\]\]", " ", head)
    while True:
        m = re.search(r"\b(__attribute__|alignas|GORO_[A-Z_]+)\s*\(", head)
        if not m:
            break
        depth, j = 0, m.end() - 1
        for j in range(m.end() - 1, len(head)):
            depth += {"(": 1, ")": -1}.get(head[j], 0)
            if depth == 0:
                break
        head = head[:m.start()] + " " + head[j + 1:]
    return head.strip()


def kind_of(head):
    """'type' (struct, class, union, enum, namespace, extern "C"), 'var', or 'code'."""
    h = strip_noise(head)
    if re.match(r"(class|struct|union|enum|namespace|extern)\b", h):
        return "type"
    decl = re.split(r"[={;]", h, maxsplit=1)[0]
    if "(" not in decl and len(re.findall(r"[A-Za-z_]\w*", decl)) >= 2:
        return "var"
    return "code"


def scopes(code_lines):
    """For each line, whether its start is inside a function body (or other code block)."""
    stack, head, inside = [], "", []
    for line in code_lines:
        inside.append(any(k == "code" for k in stack))
        if line.lstrip().startswith("#"):
            continue
        for c in line:
            if c == "{":
                stack.append("type" if kind_of(head) == "type" else "code"); head = ""
            elif c == "}":
                if stack:
                    stack.pop()
                head = ""
            elif c == ";":
                head = ""
            else:
                head += c
        head += " "
    return inside


def definitions(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    lines = text.split("\n")
    code = code_only(text).split("\n")
    inside = scopes(code)
    lead = 0
    while lead < len(lines) and (not lines[lead].strip() or lines[lead].lstrip().startswith("//")):
        lead += 1
    found = []
    for i, line in enumerate(lines):
        m = LABEL_LINE.match(line)
        if not m:
            continue
        if i >= lead:
            if inside[i]:
                continue
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("//"):
                j += 1
            if j >= len(lines) or lines[j].strip() == "" or lines[j].lstrip().startswith("#"):
                continue
            head = ""
            for k in range(j, min(j + 8, len(lines))):
                head += " " + code[k]
                if re.search(r"[;{]", code[k]):
                    break
            if kind_of(head) == "code":
                continue
        found.append((m.group(1), int(m.group(2)), m.group(0).strip().lstrip("/").strip()[:-1],
                      i + 1))
    return found


def table():
    rows, path = {}, "docs/design.md"
    lines = open(path, encoding="utf-8").read().split("\n")
    try:
        start = lines.index(TABLE_HEAD)
    except ValueError:
        return None, [f"{path}: no \"{TABLE_HEAD}\" section"]
    errors = []
    for n, line in enumerate(lines[start + 1:], start + 2):
        if line.startswith("## "):
            break
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[0] in ("prefix", "") or set(cells[0]) <= set("-: "):
            continue
        m = re.fullmatch(r"([A-Z]{1,3})([0-9]+)(?:\s*[–-]\s*\1([0-9]+))?", cells[0])
        if not m:
            errors.append(f"{path}:{n}: cannot read the prefix cell \"{cells[0]}\"")
            continue
        lo, hi = int(m.group(2)), int(m.group(3) or m.group(2))
        if m.group(1) in rows:
            errors.append(f"{path}:{n}: family {m.group(1)} has two rows")
        rows[m.group(1)] = (cells[1].strip("`"), lo, hi, n)
    return rows, errors


def main():
    fail = []
    owners = {}  # family -> {file: [(label, line)]}
    for path in sources():
        for fam, num, label, line in definitions(path):
            owners.setdefault(fam, {}).setdefault(path, []).append((label, num, line))
    for fam, files in sorted(owners.items()):
        if len(files) > 1:
            by_label = {}
            for f, defs in files.items():
                for label, _, line in defs:
                    by_label.setdefault(label, []).append(f"{f}:{line}")
            twice = {l: w for l, w in by_label.items() if len({x.rsplit(":", 1)[0] for x in w}) > 1}
            what = "; ".join(f"{l} in {' and '.join(w)}" for l, w in sorted(twice.items()))
            where = " and ".join(f"{f} ({', '.join(sorted({l for l, _, _ in d}))})"
                                 for f, d in sorted(files.items()))
            fail.append(f"family {fam} is defined in {len(files)} files: {where}"
                        + (f" (label {what})" if what else ""))
    rows, errors = table()
    fail += errors
    if rows is not None:
        for fam, files in sorted(owners.items()):
            if len(files) != 1:
                continue
            (path, defs), = files.items()
            if fam not in rows:
                fail.append(f"family {fam} ({path}) has no row in docs/design.md's table")
                continue
            tfile, lo, hi, n = rows[fam]
            if tfile != path:
                fail.append(f"docs/design.md:{n}: family {fam} is defined in {path}, "
                            f"not in {tfile}")
            out = sorted({label for label, num, _ in defs if not lo <= num <= hi})
            if out:
                fail.append(f"docs/design.md:{n}: {path} defines {', '.join(out)}, outside "
                            f"the row's range {fam}{lo}–{fam}{hi}")
        for fam, (tfile, lo, hi, n) in sorted(rows.items()):
            if tfile not in owners.get(fam, {}):
                fail.append(f"docs/design.md:{n}: family {fam} is not defined in {tfile}")
    for f in fail:
        print(f"labels: {f}", file=sys.stderr)
    if fail:
        print("labels: each invariant family must be defined in one file and listed in "
              "docs/design.md (see above)", file=sys.stderr)
        return 1
    print(f"labels: {len(owners)} families, each defined in one file and listed in "
          "docs/design.md")
    return 0


sys.exit(main())
EOF
