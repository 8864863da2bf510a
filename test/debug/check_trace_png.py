#!/usr/bin/env python3
"""debug.trace_png: runs trace_target with GORO_TRACE, then tools/trace_png.py on its trace;
checks that the picture is a PNG of a sensible size and that the script drew every track."""
import argparse
import os
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--work-dir", required=True)
    a = ap.parse_args()
    os.makedirs(a.work_dir, exist_ok=True)
    trace = os.path.join(a.work_dir, "trace.json")
    png = os.path.join(a.work_dir, "trace.png")
    for path in (trace, png):
        if os.path.exists(path):
            os.remove(path)
    subprocess.run([a.target], check=True, timeout=120, env=dict(os.environ, GORO_TRACE=trace))
    out = subprocess.run([sys.executable, a.script, trace, png], check=True, timeout=120,
                         capture_output=True, text=True).stdout
    print(out, end="")
    m = re.search(r"wrote .*: (\d+) events on (\d+) tracks", out)
    if not m:
        sys.exit(f"FAIL: unexpected output of trace_png.py: {out!r}")
    events, tracks = int(m.group(1)), int(m.group(2))
    if tracks < 2 or events < 400:  # two processors; 200 round trips are 400 slices at least
        sys.exit(f"FAIL: {events} events on {tracks} tracks")
    with open(png, "rb") as f:
        head = f.read(8)
    if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(png) < 10_000:
        sys.exit(f"FAIL: {png} is not a PNG picture ({os.path.getsize(png)} bytes)")
    print("ok")


if __name__ == "__main__":
    main()
