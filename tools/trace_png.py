#!/usr/bin/env python3
"""Draws a goro scheduler trace (Chrome trace JSON from goro::trace::write or GORO_TRACE)
as a per-processor timeline PNG: one row per P, a bar per run of a fiber (coloured by
fiber, hatched when it ended in a park), ticks for instant events (spawn, ready, steal,
timer fire, poller wakeup, blocking).

  GORO_TRACE=trace.json ./my_program
  python3 tools/trace_png.py trace.json trace.png [--from-us A --to-us B] [--width 16]
"""
import argparse
import json
import os
import sys

DEBIAN_PYTHON = "/usr/bin/python3"
if __name__ == "__main__" and os.path.realpath(sys.executable) != os.path.realpath(
        DEBIAN_PYTHON) and os.path.exists(DEBIAN_PYTHON) and "TRACE_PNG_NO_REEXEC" not in os.environ:
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # another python3 is first on PATH: Debian's has python3-matplotlib
        os.environ["TRACE_PNG_NO_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)

INSTANT_STYLE = {  # name: (marker colour, vertical offset within the row)
    "spawn": ("tab:green", 0.42),
    "ready": ("tab:blue", 0.30),
    "steal": ("tab:red", -0.30),
    "timer fire": ("tab:purple", -0.42),
    "poller wakeup": ("tab:orange", -0.42),
    "blocking enter": ("black", 0.42),
    "blocking exit": ("gray", 0.42),
}


def load(path):
    with open(path) as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    names = {e["tid"]: e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    return [e for e in events if e.get("ph") in ("X", "i")], names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace")
    ap.add_argument("png")
    ap.add_argument("--from-us", type=float, help="start of the window (µs from the first event)")
    ap.add_argument("--to-us", type=float, help="end of the window (µs from the first event)")
    ap.add_argument("--width", type=float, default=16, help="figure width in inches")
    args = ap.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events, names = load(args.trace)
    if not events:
        sys.exit(f"{args.trace}: no events")
    t0 = min(e["ts"] for e in events)
    lo = args.from_us if args.from_us is not None else 0.0
    hi = args.to_us if args.to_us is not None else max(
        e["ts"] + e.get("dur", 0) for e in events) - t0
    tids = sorted({e["tid"] for e in events})
    row = {tid: i for i, tid in enumerate(tids)}
    fig, ax = plt.subplots(figsize=(args.width, 1.0 + 0.7 * len(tids)))
    cmap = plt.get_cmap("tab20")
    seen = set()
    for e in events:
        start, end = e["ts"] - t0, e["ts"] - t0 + e.get("dur", 0)
        if end < lo or start > hi:
            continue
        y = row[e["tid"]]
        if e["ph"] == "X":
            fid = int(e["args"].get("fiber", 0))
            parked = e["args"].get("end") == "park"
            ax.broken_barh([(start, max(end - start, (hi - lo) * 1e-4))], (y - 0.22, 0.44),
                           facecolors=cmap(fid % 20), edgecolor="none",
                           hatch="//" if parked else None)
        else:
            color, dy = INSTANT_STYLE.get(e["name"], ("black", 0.0))
            label = e["name"] if e["name"] not in seen else None
            seen.add(e["name"])
            ax.plot([start], [y + dy], marker="|", color=color, markersize=7, label=label,
                    linestyle="none")
    ax.set_yticks(range(len(tids)), [names.get(t, f"tid {t}") for t in tids])
    ax.set_ylim(-0.6, len(tids) - 0.4)
    ax.invert_yaxis()
    ax.set_xlim(lo, hi)
    ax.set_xlabel("µs since the first event")
    ax.set_title(f"{args.trace}: fibers running per processor (bar colour: fiber id; "
                 "hatched: ended in a park)")
    if seen:
        ax.legend(loc="upper right", fontsize="small", ncol=len(seen))
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}: {len(events)} events on {len(tids)} tracks")


if __name__ == "__main__":
    main()
