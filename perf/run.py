#!/usr/bin/python3
"""perf/run.py: goro's performance suite (see perf/README.md and shared PERF.md).

Builds the workload programs of goro and of its peers (Go, Boost.Fiber, std::thread), runs
each workload for each system at P=1 and P=2 (pinned with taskset; GORO_PROCS, GOMAXPROCS
and --procs set to P), repetitions interleaved round-robin across systems, then prints a
table of medians (min-max) with the ratio goro/peer and marks each PERF.md target met or
missed. The server workloads (echo, http, redis) run at P=1 only: the server pinned to core
0, its load client (perf/clients/echo_client.cpp, wrk, redis-benchmark) to core 1; the redis
workload also runs Redis itself (redis-server) as a peer. Writes raw.csv,
summary.csv, targets.csv, table.md and PNG charts to --out.

    python3 perf/run.py [--quick] [--workloads skynet,yield] [--reps 5] [--out perf/results]

Standard library only, plus matplotlib (Debian's python3-matplotlib) for the charts.
"""

import argparse
import csv
import json
import operator
import os
import platform
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEBIAN_PYTHON = "/usr/bin/python3"
if __name__ == "__main__" and os.path.realpath(sys.executable) != os.path.realpath(
        DEBIAN_PYTHON) and os.path.exists(DEBIAN_PYTHON) and "PERF_NO_REEXEC" not in os.environ:
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # another python3 is first on PATH: Debian's has python3-matplotlib
        os.environ["PERF_NO_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)

ROOT = Path(__file__).resolve().parent.parent
PERF = ROOT / "perf"
# goro_trace: goro's own programs with the flight recorder on (GORO_TRACE=/dev/null: every
# scheduling event recorded, the JSON thrown away at exit); opt-in (--systems), to measure
# the recorder's overhead as the ratio goro/goro+trace.
# goro_base: goro's programs as of another commit (--base REV), built from that commit's
# tree; the column goro/goro@REV shows what a change did, measured in the same run.
# redis: Redis itself (Debian's redis-server 7), a peer of the redis workload only.
SYSTEMS = ["goro", "go", "boost_fiber", "threads", "redis", "goro_trace", "goro_base"]
DEFAULT_SYSTEMS = SYSTEMS[:5]
PEERS = ["go", "boost_fiber", "threads"]
LABEL = {"goro": "goro", "go": "Go", "boost_fiber": "Boost.Fiber", "threads": "threads",
         "redis": "Redis 7", "goro_trace": "goro+trace", "goro_base": "goro@base"}
# Systems that run some workloads only: {system: (workloads, why not the others)}.
ONLY = {"redis": ({"redis"}, "Redis is a peer of the redis workload only")}


def system_env(system):
    """Extra environment of a system's programs."""
    return {"GORO_TRACE": "/dev/null"} if system == "goro_trace" else {}


# The workloads, in the order run and printed: perf/workloads.json (its "about" says what each
# field means), the one list of them; perf/CMakeLists.txt reads it too, to build their programs.
WORKLOADS = json.loads((PERF / "workloads.json").read_text(encoding="utf-8"))["workloads"]
CLIENT_MISSING = {}  # {workload: why its load client is missing} (its cells: missing)
# Load clients from Debian, found on PATH: {client: its package}.
DEBIAN_CLIENTS = {"wrk": "wrk", "redis-benchmark": "redis-tools"}


def applies(system, workload):
    only = ONLY.get(system)
    return system not in WORKLOADS[workload].get("not_applicable", {}) and \
        (only is None or workload in only[0])


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def short_n(n):
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suffix}"
    return str(n)


def fmt(v):
    if v is None:
        return "?"
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 1 \
        else f"{v:.2g}"  # small figures (idle's CPU %) keep two significant digits


# ---------------------------------------------------------------------------- building

def run_logged(cmd, logf, **kw):
    logf.write(f"$ {' '.join(map(str, cmd))}\n")
    logf.flush()
    return subprocess.run(cmd, stdout=logf, stderr=subprocess.STDOUT, **kw).returncode


def build(args, workloads):
    """Builds every program into the build directory's perf-bin (the Go peers too, so that a
    later --no-build run with any --out finds them); returns ({(system, workload): binary},
    {system: why missing})."""
    logpath = args.out / "build.log"
    binaries, missing = {}, {}
    with open(logpath, "w") as logf:
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        keep_going = ["--", "-k", "0"] if gen else ["--", "-k"]
        bdir = args.build_dir
        ok = run_logged(["cmake", "-S", ROOT, "-B", bdir, *gen, "-DCMAKE_BUILD_TYPE=Release",
                         "-DGORO_BUILD_PERF=ON", "-DGORO_BUILD_TESTS=OFF",
                         "-DGORO_BUILD_SAMPLES=OFF"], logf) == 0
        if not ok or not (bdir / "perf").is_dir():
            missing["goro"] = f"goro did not configure (see {logpath})"
            bdir = Path(str(bdir) + "-peers")  # the peers alone, from perf/CMakeLists.txt
            run_logged(["cmake", "-S", PERF, "-B", bdir, *gen, "-DCMAKE_BUILD_TYPE=Release"],
                       logf)
        log(f"building C++ programs in {bdir} (log: {logpath})")
        all_ok = run_logged(["cmake", "--build", bdir, "--target", "goro_perf_all",
                             *keep_going], logf) == 0
        for system in ("goro", "boost_fiber", "threads"):
            for w in (w for w in workloads if applies(system, w)):
                exe = bdir / "perf-bin" / f"{system}_{w}"
                built = exe.exists() and (all_ok or run_logged(
                    ["cmake", "--build", bdir, "--target", f"perf_{system}_{w}"], logf) == 0)
                if built:
                    binaries[(system, w)] = exe
                elif system not in missing:
                    why = {"boost_fiber": "Boost.Fiber not found (libboost-fiber-dev)"}.get(
                        system, "build failed") if not exe.exists() else "build failed"
                    missing[system] = f"{why} (see {logpath})"
        for w in workloads:
            client = WORKLOADS[w].get("client")
            if client in DEBIAN_CLIENTS:
                exe = shutil.which(client)
                why = f"no `{client}` on PATH (Debian package {DEBIAN_CLIENTS[client]})"
            elif client:
                exe = bdir / "perf-bin" / client
                why = f"{client} not built (see {logpath})"
                if not exe.exists():
                    run_logged(["cmake", "--build", bdir, "--target", f"perf_{client}"], logf)
                exe = exe if exe.exists() else None
            else:
                continue
            if exe:
                binaries[("client", w)] = Path(exe)
            else:
                CLIENT_MISSING[w] = why
        for w in workloads:  # goro_trace runs goro's programs
            if ("goro", w) in binaries:
                binaries[("goro_trace", w)] = binaries[("goro", w)]
        find_redis_server(workloads, binaries, missing)
        if args.base:
            build_base(args, workloads, binaries, missing, gen, keep_going, logf)
        go = shutil.which("go")
        if not go:
            missing["go"] = "no `go` on PATH (golang-go)"
        else:
            env = dict(os.environ, GO111MODULE="off", GOFLAGS="",
                       GOCACHE=str(args.build_dir.resolve() / "go-cache"),
                       GOPATH=str(args.build_dir.resolve() / "go-path"))
            log(f"building Go peers with {go}")
            go_bin = args.build_dir / "perf-bin"
            go_bin.mkdir(parents=True, exist_ok=True)
            for w in (w for w in workloads if applies("go", w)):
                exe = go_bin / f"go_{w}"
                if run_logged([go, "build", "-o", exe.resolve(), "main.go"], logf,
                              cwd=PERF / "peers" / "go" / w, env=env) == 0:
                    binaries[("go", w)] = exe
                else:
                    missing["go"] = f"go build failed (see {logpath})"
    for system, why in missing.items():
        log(f"{LABEL[system]}: MISSING: {why}")
    for w, why in CLIENT_MISSING.items():
        log(f"{w}: load client MISSING: {why}")
    return binaries, missing


def find_redis_server(workloads, binaries, missing):
    """The system redis: Debian's redis-server, found on PATH."""
    exe = shutil.which("redis-server")
    for w in (w for w in workloads if applies("redis", w)):
        if exe:
            binaries[("redis", w)] = Path(exe)
        else:
            missing["redis"] = "no `redis-server` on PATH (Debian package redis-server)"


def base_dir(args):
    """Where --base REV's tree is unpacked and built: <build-dir>/base-<commit>."""
    return args.build_dir / f"base-{args.base_commit[:12]}"


def build_base(args, workloads, binaries, missing, gen, keep_going, logf):
    """Builds goro's perf programs as of args.base (its own tree, `git archive` of that
    commit, its own perf programs) into base_dir(args); adds them as system goro_base."""
    src, bdir = base_dir(args) / "src", base_dir(args) / "build"
    if not (src / "CMakeLists.txt").exists():
        src.mkdir(parents=True, exist_ok=True)
        tar = subprocess.run(["git", "-C", ROOT, "archive", args.base_commit],
                             capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", src], input=tar, check=True)
    log(f"building goro@{args.base} ({args.base_commit[:12]}) in {bdir}")
    ok = run_logged(["cmake", "-S", src, "-B", bdir, *gen, "-DCMAKE_BUILD_TYPE=Release",
                     "-DGORO_BUILD_PERF=ON", "-DGORO_BUILD_TESTS=OFF",
                     "-DGORO_BUILD_SAMPLES=OFF"], logf) == 0
    ok = ok and run_logged(["cmake", "--build", bdir, "--target", "goro_perf_all",
                            *keep_going], logf) == 0
    base_binaries(args, workloads, binaries, missing)
    if not ok and "goro_base" not in missing:
        missing["goro_base"] = f"build of {args.base} failed (see {args.out / 'build.log'})"


def base_binaries(args, workloads, binaries, missing):
    for w in workloads:
        exe = base_dir(args) / "build" / "perf-bin" / f"goro_{w}"
        if exe.exists():
            binaries[("goro_base", w)] = exe
        else:
            missing.setdefault("goro_base", f"not built ({exe})")


# ---------------------------------------------------------------------------- running

def pinned(cores, cmd):
    return (["taskset", "-c", cores] + cmd) if shutil.which("taskset") else cmd


def parse_metrics(stdout):
    metrics = {}
    for line in stdout.splitlines():
        kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if {"metric", "value", "unit"} <= kv.keys():
            metrics[kv["metric"]] = (float(kv["value"]), kv["unit"])
    return metrics


def duration_ms(args, w):
    d = WORKLOADS[w].get("duration_ms")
    return d and d[1 if args.quick else 0]


def run_once(args, binaries, s, w, n, procs):
    """Runs one program pinned to `procs` cores; returns (status, {metric: (value, unit)})."""
    if WORKLOADS[w].get("client"):
        return run_served(args, binaries, s, w, n)
    cmd = [str(binaries[(s, w)]), "--n", str(n), "--procs", str(procs)]
    if duration_ms(args, w):
        cmd += ["--duration-ms", str(duration_ms(args, w))]
    cmd = pinned(",".join(str(c) for c in range(procs)), cmd)
    env = dict(os.environ, GORO_PROCS=str(procs), GOMAXPROCS=str(procs), **system_env(s))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return f"timeout>{args.timeout}s", {}
    metrics = parse_metrics(p.stdout)
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()
        return f"failed rc={p.returncode}" + (f": {err[-1][:80]}" if err else ""), metrics
    return "ok", metrics


def parse_wrk(out):
    """wrk --latency's report: ({metric: (value, unit)}, error or None)."""
    to_ms = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
    metrics, err = {}, None
    for line in out.splitlines():
        f = line.split()
        if line.startswith("Requests/sec:"):
            metrics["requests"] = (float(f[1]), "req/s")
        elif len(f) == 2 and f[0] in ("50%", "99%"):
            num = f[1].rstrip("umsh")
            unit = f[1][len(num):]
            name = "latency_p50" if f[0] == "50%" else "latency_p99"
            metrics[name] = (float(num) * to_ms[unit], "ms")
        elif "Socket errors:" in line or "Non-2xx or 3xx responses:" in line:
            err = "wrk: " + line.strip()
    if err is None and not {"requests", "latency_p50", "latency_p99"} <= metrics.keys():
        err = "wrk: no report"
    return metrics, err


def parse_redis_benchmark(out, suffix):
    """redis-benchmark --csv's report: {<test>_rps<suffix>: req/s, <test>_p99<suffix>: ms}."""
    metrics = {}
    for row in csv.DictReader(out.splitlines()):
        test = row.get("test", "").lower()
        if test in ("set", "get", "incr") and row.get("rps") and row.get("p99_latency_ms"):
            metrics[f"{test}_rps{suffix}"] = (float(row["rps"]), "req/s")
            metrics[f"{test}_p99{suffix}"] = (float(row["p99_latency_ms"]), "ms")
    return metrics


def free_port():
    """A TCP port free on 127.0.0.1 now (for redis-server, which needs one given)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_commands(args, binaries, w, n, port):
    """The load client's runs of a server workload: [(command, suffix of its metrics)]."""
    exe, client = str(binaries[("client", w)]), WORKLOADS[w]["client"]
    d = duration_ms(args, w)
    if client == "wrk":
        return [([exe, "-t1", f"-c{n}", f"-d{max(1, d // 1000)}s", "--latency",
                  f"http://127.0.0.1:{port}/"], "")]
    if client == "redis-benchmark":
        requests = WORKLOADS[w]["requests"][1 if args.quick else 0]
        cmd = [exe, "-h", "127.0.0.1", "-p", str(port), "-t", "set,get,incr", "-c", str(n),
               "-n", str(requests), "--csv"]
        return [(cmd, ""), (cmd + ["-P", "16"], "_pipe16")]
    return [([exe, "--n", str(n), "--duration-ms", str(d), "--port", str(port)], "")]


def start_server(args, binaries, s, w, n, deadline):
    """Starts the server of system `s` pinned to core 0 with P = 1 and waits until it
    listens: (process, port, its first output) or (process, None, why not)."""
    if s == "redis":
        # Redis needs its port given: one free now. No persistence, one I/O thread; it says
        # nothing below warnings; SIGTERM stops it (exit status 0).
        port = free_port()
        srv = subprocess.Popen(pinned("0", [str(binaries[(s, w)]), "--port", str(port),
                                            "--bind", "127.0.0.1", "--save", "",
                                            "--appendonly", "no", "--io-threads", "1",
                                            "--dir", str(args.out), "--loglevel", "warning"]),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        while time.monotonic() < deadline and srv.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return srv, port, b""
            except OSError:
                time.sleep(0.02)  # not listening yet
        return srv, None, b""
    env = dict(os.environ, GORO_PROCS="1", GOMAXPROCS="1", **system_env(s))
    srv = subprocess.Popen(pinned("0", [str(binaries[(s, w)]), "--n", str(n), "--procs", "1"]),
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env)
    port, head = None, b""
    while port is None and time.monotonic() < deadline:
        ready, _, _ = select.select([srv.stdout], [], [], deadline - time.monotonic())
        chunk = os.read(srv.stdout.fileno(), 4096) if ready else b""
        if ready and not chunk:
            break  # the server exited
        head += chunk
        port = next((int(line[5:]) for line in head.split(b"\n")[:-1]
                     if line.startswith(b"port=")), None)
    return srv, port, head


def run_served(args, binaries, s, w, n):
    """A server workload (echo, http, redis): the server `s` runs pinned to core 0 with P = 1
    (GORO_PROCS, GOMAXPROCS, --procs 1), prints `port=<port>` once listening (redis-server
    is given a free port and is ready once it accepts a connection); the workload's load
    client runs pinned to core 1 (for the workload's duration, or its requests) and prints
    the metrics; then the server's stdin is closed (redis-server: SIGTERM) and it must exit
    with status 0. Adds server_cpu and client_cpu (% of one core: each one's CPU time, from
    getrusage of this runner's reaped children, ÷ the client's wall time; the server's
    covers its whole life, start-up included). Returns (status, metrics)."""
    deadline = time.monotonic() + args.timeout
    client_core = "1" if (os.cpu_count() or 1) > 1 else "0"
    cpu = lambda: (lambda ru: ru.ru_utime + ru.ru_stime)(
        resource.getrusage(resource.RUSAGE_CHILDREN))
    srv, port, head = start_server(args, binaries, s, w, n, deadline)
    try:
        if port is None:
            if srv.poll() is None:
                return f"timeout>{args.timeout}s (not listening)", {}
            err = srv.stderr.read().decode(errors="replace").strip().splitlines() or \
                srv.stdout.read().decode(errors="replace").strip().splitlines()
            return f"failed rc={srv.wait()}" + (f": {err[-1][:80]}" if err else ""), {}
        metrics, wall, c0 = {}, 0.0, cpu()
        for ccmd, suffix in client_commands(args, binaries, w, n, port):
            t0 = time.monotonic()
            try:
                p = subprocess.run(pinned(client_core, ccmd), capture_output=True, text=True,
                                   timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                return f"timeout>{args.timeout}s (client)", metrics
            wall += time.monotonic() - t0
            client = WORKLOADS[w]["client"]
            if client == "wrk":
                got, err = parse_wrk(p.stdout)
            elif client == "redis-benchmark":
                got = parse_redis_benchmark(p.stdout, suffix)
                err = None if len(got) == 6 else "redis-benchmark: no report"
            else:
                got, err = parse_metrics(p.stdout), None
            metrics.update(got)
            if p.returncode != 0 or err:
                err = (p.stderr.strip().splitlines() or [err or "?"])[-1] \
                    if p.returncode != 0 else err
                return f"failed rc={p.returncode} (client): {err[:80]}", metrics
        c1 = cpu()
        if s == "redis":
            srv.send_signal(signal.SIGTERM)
        try:
            out, serr = srv.communicate(timeout=30)  # closes its stdin: time to stop
        except subprocess.TimeoutExpired:
            return "failed: the server did not exit within 30 s of being told to stop", metrics
        c2 = cpu()
        if s != "redis":
            metrics.update(parse_metrics(head.decode(errors="replace") + out.decode(
                errors="replace")))
        metrics["server_cpu"] = (100 * (c2 - c1) / wall, "%")
        metrics["client_cpu"] = (100 * (c1 - c0) / wall, "%")
        if srv.returncode != 0:
            err = (serr or out).decode(errors="replace").strip().splitlines()
            return f"failed rc={srv.returncode} (server)" + (f": {err[-1][:80]}" if err else ""), \
                metrics
        return "ok", metrics
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()


def cells(args):
    """The (workload, N, P) cells of this run, and for each the systems that run it."""
    for w in args.workloads:
        spec = WORKLOADS[w]
        sizes = spec["quick"] if args.quick else spec["sizes"] + (spec["big"] if args.big else [])
        for n in sizes:
            for p in (p for p in args.procs if p in spec.get("procs", args.procs)):
                yield w, n, p, [s for s in args.systems if n <= spec["max_n"].get(s, n)]


def run_all(args, binaries):
    raw = []
    todo = list(cells(args))
    for rep in range(args.reps):
        for w, n, p, systems in todo:
            systems = [s for s in systems if (s, w) in binaries and w not in CLIENT_MISSING]
            k = rep % max(len(systems), 1)  # rotate the order: no system always goes first
            for s in systems[k:] + systems[:k]:
                t0 = time.monotonic()
                status, metrics = run_once(args, binaries, s, w, n, p)
                wall = time.monotonic() - t0
                shown = " ".join(f"{m}={fmt(v)}" for m, (v, _) in metrics.items())
                log(f"[rep {rep + 1}/{args.reps}] {w} N={short_n(n)} P={p} {LABEL[s]}: "
                    + " ".join(x for x in (shown, "" if status == "ok" else status) if x))
                base = dict(rep=rep + 1, workload=w, n=n, procs=p, system=s, status=status,
                            wall_s=f"{wall:.3f}")
                if not metrics:
                    raw.append(dict(base, metric="", value="", unit=""))
                for m, (v, unit) in metrics.items():
                    raw.append(dict(base, metric=m, value=v, unit=unit))
    return raw


# ---------------------------------------------------------------------------- reporting

def summarize(raw):
    """{(workload, n, procs, metric, system): dict(median, min, max, runs, failed)}."""
    groups, failures = {}, {}
    for r in raw:
        key = (r["workload"], r["n"], r["procs"], r["system"])
        if r["status"] != "ok":
            failures.setdefault(key, set()).add((r["rep"], r["status"]))
        if r["metric"] and r["status"] == "ok":
            groups.setdefault(key[:3] + (r["metric"], r["system"]), []).append(r["value"])
    summary = {}
    for key, vals in groups.items():
        summary[key] = dict(median=statistics.median(vals), min=min(vals), max=max(vals),
                            runs=len(vals))
    return summary, failures


def cell_text(args, summary, failures, binaries, w, n, p, m, s):
    if not applies(s, w):
        return "—"
    if (s, w) not in binaries or w in CLIENT_MISSING:
        return "missing"
    if n > WORKLOADS[w]["max_n"].get(s, n):
        return "—"
    st = summary.get((w, n, p, m, s))
    failed = failures.get((w, n, p, s), set())
    if not st:
        return f"FAILED ({sorted(failed)[0][1].split(':')[0].removeprefix('failed ')})" \
            if failed else "no data"
    text = fmt(st["median"]) if st["runs"] == 1 else \
        f"{fmt(st['median'])} ({fmt(st['min'])}–{fmt(st['max'])})"
    return text + (f" [{len(failed)} failed]" if failed else "")


def ratio(summary, w, n, p, m, peer):
    a, b = summary.get((w, n, p, m, "goro")), summary.get((w, n, p, m, peer))
    return a["median"] / b["median"] if a and b and b["median"] else None


def table(args, summary, failures, binaries):
    # A system that applies to none of the workloads run (Redis without the redis workload)
    # gets no column.
    systems = [s for s in args.systems if any(applies(s, w) for w in args.workloads)]
    peers = [s for s in systems if s != "goro"]
    head = ["workload", "N", "metric", "P"] + [LABEL[s] for s in systems] + \
        [f"goro/{LABEL[s]}" for s in peers if "goro" in systems]
    rows = []
    todo = list(cells(args))
    for w, n in dict.fromkeys((w, n) for w, n, _, _ in todo):  # workload, N, metric, P
        for m, unit in WORKLOADS[w]["metrics"].items():
            for p in (p for ww, nn, p, _ in todo if (ww, nn) == (w, n)):
                up = " ↑" if m in WORKLOADS[w].get("higher", ()) else ""
                row = [w, short_n(n), f"{m} ({unit}){up}", str(p)]
                row += [cell_text(args, summary, failures, binaries, w, n, p, m, s)
                        for s in systems]
                if "goro" in systems:
                    row += [f"{r:.3g}" if (r := ratio(summary, w, n, p, m, s)) is not None else "—"
                            for s in peers]
                rows.append(row)
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    line = lambda cols: "| " + " | ".join(c.ljust(wd) for c, wd in zip(cols, widths)) + " |"
    return "\n".join([line(head), "|" + "|".join("-" * (wd + 2) for wd in widths) + "|"] +
                     [line(r) for r in rows])


# A target's figure: goro's median ÷ one peer's (RATIO), ÷ the smallest of several peers'
# (BEST), or goro's median itself (ABSOLUTE), compared with the target's limit.
RATIO, BEST, ABSOLUTE = "ratio to a peer", "ratio to the best peer", "absolute"
# The Ns of a workload a target is checked at: every N of the run; the largest of its sizes
# (full run or --quick: --big's extra sizes are beyond PERF.md's claims); or the largest N the
# threads peer runs at (its max_n), the only N where goro and threads meet.
EVERY, LARGEST, THREADS_MAX = "every N", "largest N", "threads' largest N"
# The Ps a target is checked at.
ANY_P, P_1, P_2UP = "any P", "P = 1", "P > 1"
# How a figure meets its limit: ≤ (time, memory, CPU), ≥ (rates), < (a limit just above 0.0).
MEETS = {"≤": operator.le, "≥": operator.ge, "<": operator.lt}


@dataclass(frozen=True)
class Target:
    """One PERF.md target: `what`, its wording in the report; checked at the Ns `n` and Ps `p`
    of its workload; the figure of `metric` formed as `kind` says, against the systems `vs`
    (one for RATIO, the candidates for BEST, none for ABSOLUTE); met when `figure op limit`;
    `unit`, the unit printed after an ABSOLUTE figure."""
    workload: str
    what: str
    n: str
    p: str
    metric: str
    kind: str
    vs: tuple
    op: str
    limit: float
    unit: str = ""

    def __post_init__(self):
        # A misspelt workload, metric or system would otherwise check nothing, silently.
        metrics = WORKLOADS.get(self.workload, {}).get("metrics", {})
        vs_ok = {RATIO: len(self.vs) == 1, BEST: len(self.vs) > 1, ABSOLUTE: not self.vs}
        if self.metric not in metrics or not set(self.vs) <= set(PEERS + ["redis"]) or \
                not vs_ok.get(self.kind) or self.op not in MEETS or \
                self.n not in (EVERY, LARGEST, THREADS_MAX) or self.p not in (ANY_P, P_1, P_2UP):
            raise ValueError(f"perf/run.py: a target that checks nothing: {self}")


GO, REDIS = ("go",), ("redis",)
# In the order reported, within a cell (workload, N, P).
TARGETS = [
    Target("yield", "yield ≤ 0.4 × Go", LARGEST, ANY_P, "yield", RATIO, GO, "≤", 0.4),
    Target("skynet", "total ≤ 0.5 × best peer", LARGEST, ANY_P, "total", BEST,
           ("go", "boost_fiber"), "≤", 0.5),
    # ≥ 50× faster than threads, at the N threads can run: goro/threads ≤ 1/50.
    Target("skynet", "≥ 50 × faster than threads (goro/threads ≤ 0.02)", THREADS_MAX, ANY_P,
           "total", RATIO, ("threads",), "≤", 0.02),
    Target("spawn_park", "spawn ≤ 0.5 × Go", EVERY, ANY_P, "spawn", RATIO, GO, "≤", 0.5),
    Target("spawn_park", "release_join ≤ 0.5 × Go", EVERY, ANY_P, "release_join", RATIO, GO,
           "≤", 0.5),
    # RSS per parked fiber ≤ 4.5 KB: one page of stack plus the control block.
    Target("spawn_park", "rss ≤ 4.5 KB per parked fiber", EVERY, ANY_P, "rss", ABSOLUTE, (),
           "≤", 4500, "B/task"),
    # Best of every peer: cross-thread wake-ups (P=2) must not collapse.
    Target("ping_pong", "round_trip ≤ 0.5 × best peer", LARGEST, ANY_P, "round_trip", BEST,
           tuple(PEERS), "≤", 0.5),
    Target("buffered", "one_to_one ≤ 1.0 × best peer", LARGEST, P_1, "one_to_one", BEST,
           tuple(PEERS), "≤", 1.0),
    Target("buffered", "one_to_one ≤ 0.7 × Go", LARGEST, P_2UP, "one_to_one", RATIO, GO, "≤",
           0.7),
    Target("buffered", "four_to_four ≤ 1.0 × best peer", LARGEST, P_1, "four_to_four", BEST,
           tuple(PEERS), "≤", 1.0),
    Target("buffered", "four_to_four ≤ 0.7 × Go", LARGEST, P_2UP, "four_to_four", RATIO, GO,
           "≤", 0.7),
    Target("select", "select ≤ 0.5 × Go", LARGEST, ANY_P, "select", RATIO, GO, "≤", 0.5),
    Target("mutex", "lock ≤ 1.0 × Go", EVERY, ANY_P, "lock", RATIO, GO, "≤", 1.0),
    Target("timers", "lateness_p99 ≤ Go's", LARGEST, ANY_P, "lateness_p99", RATIO, GO, "≤",
           1.0),
    # "1M sleepers use ≤ 1 CPU-second beyond the sleeps": sleeping costs no CPU, so the whole
    # process (spawns, timers, wake-ups) within 1 CPU-second.
    Target("timers", "cpu ≤ 1 CPU-second", LARGEST, ANY_P, "cpu", ABSOLUTE, (), "≤", 1.0,
           "CPU-s"),
    Target("echo", "round_trips ≥ 1.2 × Go", EVERY, ANY_P, "round_trips", RATIO, GO, "≥", 1.2),
    Target("http", "requests ≥ 1.2 × Go", EVERY, ANY_P, "requests", RATIO, GO, "≥", 1.2),
    Target("http", "latency_p99 ≤ Go's", EVERY, ANY_P, "latency_p99", RATIO, GO, "≤", 1.0),
    # Without pipelining and with -P 16: GET and SET against Redis itself (≥ 1.0 × and ≥ 0.8 ×
    # its requests/s) and against the Go peer (≥ 1.3 ×); p99 no worse than Redis'. INCR is
    # measured, not targeted.
    Target("redis", "GET req/s ≥ 1.0 × Redis", EVERY, ANY_P, "get_rps", RATIO, REDIS, "≥", 1.0),
    Target("redis", "GET req/s ≥ 1.3 × Go", EVERY, ANY_P, "get_rps", RATIO, GO, "≥", 1.3),
    Target("redis", "GET p99 ≤ Redis'", EVERY, ANY_P, "get_p99", RATIO, REDIS, "≤", 1.0),
    Target("redis", "SET req/s ≥ 1.0 × Redis", EVERY, ANY_P, "set_rps", RATIO, REDIS, "≥", 1.0),
    Target("redis", "SET req/s ≥ 1.3 × Go", EVERY, ANY_P, "set_rps", RATIO, GO, "≥", 1.3),
    Target("redis", "SET p99 ≤ Redis'", EVERY, ANY_P, "set_p99", RATIO, REDIS, "≤", 1.0),
    Target("redis", "GET req/s with -P 16 ≥ 0.8 × Redis", EVERY, ANY_P, "get_rps_pipe16",
           RATIO, REDIS, "≥", 0.8),
    Target("redis", "GET req/s with -P 16 ≥ 1.3 × Go", EVERY, ANY_P, "get_rps_pipe16", RATIO,
           GO, "≥", 1.3),
    Target("redis", "GET p99 with -P 16 ≤ Redis'", EVERY, ANY_P, "get_p99_pipe16", RATIO,
           REDIS, "≤", 1.0),
    Target("redis", "SET req/s with -P 16 ≥ 0.8 × Redis", EVERY, ANY_P, "set_rps_pipe16",
           RATIO, REDIS, "≥", 0.8),
    Target("redis", "SET req/s with -P 16 ≥ 1.3 × Go", EVERY, ANY_P, "set_rps_pipe16", RATIO,
           GO, "≥", 1.3),
    Target("redis", "SET p99 with -P 16 ≤ Redis'", EVERY, ANY_P, "set_p99_pipe16", RATIO,
           REDIS, "≤", 1.0),
    # 0.0 % CPU: below 0.05 % (it prints as 0.0 with one decimal).
    Target("idle", "cpu 0.0 % (< 0.05 %)", EVERY, ANY_P, "cpu", ABSOLUTE, (), "<", 0.05, "%"),
    Target("idle", "wakeups ≤ 1 per second", EVERY, ANY_P, "wakeups", ABSOLUTE, (), "≤", 1.0,
           "wakeups/s"),
]


def targets(args, summary, failures, binaries):
    """The PERF.md targets of the cells run, cell by cell and within a cell in TARGETS' order:
    [(workload, target, N, P, figure, verdict)]."""
    return [(w, t.what, n, p, *judge(t, summary, failures, binaries, n, p))
            for w, n, p, _ in cells(args) for t in TARGETS
            if t.workload == w and checked_at(t, args, n, p)]


def checked_at(t, args, n, p):
    """Whether target t is checked at its workload's cell (N = n, P = p) of this run."""
    spec = WORKLOADS[t.workload]
    if t.p == P_1 and p != 1 or t.p == P_2UP and p == 1:
        return False
    if t.n == LARGEST:
        return n == max(spec["quick" if args.quick else "sizes"])
    if t.n == THREADS_MAX:
        return n == spec["max_n"]["threads"]
    return True


def judge(t, summary, failures, binaries, n, p):
    """Target t at its workload's cell (N = n, P = p): (figure, verdict), the verdict met,
    MISSED, or UNMEASURED when goro or the peer compared has no median there (the figure then
    says why)."""
    w = t.workload
    median = lambda s: (summary.get((w, n, p, t.metric, s)) or {}).get("median")
    why = lambda s: unmeasured(binaries, failures, w, n, p, s)
    goro = median("goro")
    if goro is None:
        return f"goro {why('goro')}", "UNMEASURED"
    if t.kind == ABSOLUTE:
        return f"goro {fmt(goro)} {t.unit}", verdict(t, goro)
    if t.kind == BEST:
        # Equal medians: the label first in sort order. No peer measured: "missing" whatever
        # the reason (each peer's cell in the table says it).
        peer, label = min(((v, LABEL[s]) for s in t.vs if (v := median(s)) is not None),
                          default=(None, None))
        if peer is None:
            return "best peer missing", "UNMEASURED"
    else:
        (s,) = t.vs
        peer, label = median(s), LABEL[s]
        if peer is None:
            return f"{label} {why(s)}", "UNMEASURED"
    r = goro / peer
    return f"goro {fmt(goro)} vs {label} {fmt(peer)}: {r:.3g}×", verdict(t, r)


def verdict(t, figure):
    return "met" if MEETS[t.op](figure, t.limit) else "MISSED"


def unmeasured(binaries, failures, w, n, p, s):
    """Why system s has no median at the cell (w, n, p)."""
    if (s, w) not in binaries or w in CLIENT_MISSING:
        return "missing"
    return "failed" if (w, n, p, s) in failures else "no data"


def against_base(args, summary):
    """With --base: every metric where goro's median is worse than goro@REV's by more than
    5 % (time, RSS, CPU: higher; a rate marked ↑: lower); each line says whether the two
    min–max ranges overlap (then the difference is within the runs' spread)."""
    worse = []
    for (w, n, p, m, s), st in sorted(summary.items()):
        base = summary.get((w, n, p, m, "goro_base"))
        if s != "goro" or not base or not base["median"] or m == "client_cpu":
            continue
        r = st["median"] / base["median"]
        higher = m in WORKLOADS[w].get("higher", ())
        if (r < 0.95) if higher else (r > 1.05):
            overlap = st["min"] <= base["max"] and base["min"] <= st["max"]
            worse.append(f"  {w} N={short_n(n)} P={p} {m}: goro {fmt(st['median'])} vs "
                         f"{LABEL['goro_base']} {fmt(base['median'])} ({r:.3g}×)"
                         + (", within the runs' spread" if overlap else ""))
    return worse


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) // (1024 * 1024) for l in open("/proc/meminfo")
                if l.startswith("MemTotal")), 0)
    ver = lambda cmd: (subprocess.run(cmd, capture_output=True, text=True).stdout or "").split(
        "\n")[0].strip() if shutil.which(cmd[0]) else "missing"
    boost = "missing"
    if Path("/usr/include/boost/version.hpp").exists():
        boost = next((l.split()[2].strip('"') for l in open("/usr/include/boost/version.hpp")
                      if l.startswith("#define BOOST_LIB_VERSION")), "?")
    redis = ver(["redis-server", "--version"]).split()  # Redis server v=7.0.15 sha=... bits=64
    redis = next((f[2:] for f in redis if f.startswith("v=")), redis[0] if redis else "?")
    return (f"{cpu}, {os.cpu_count()} cores, {mem} GiB; Linux {platform.release()}; "
            f"{ver(['c++', '--version'])}; {ver(['go', 'version'])}; Boost {boost}; "
            f"redis-server {redis}")


def goro_version():
    """The commit goro was built from, and whether its sources differed from it."""
    git = lambda *a: subprocess.run(["git", "-C", ROOT, *a], capture_output=True,
                                    text=True).stdout.strip() if shutil.which("git") else ""
    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "unknown (not a git checkout)"
    dirty = git("status", "--porcelain", "--", ".", ":!perf")
    return f"commit {commit}" + (" + uncommitted changes outside perf/" if dirty else "")


def cpu_sample():
    """(CPU seconds not idle, of all CPUs, from /proc/stat; CPU seconds of our children)."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    busy = (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, ru.ru_utime + ru.ru_stime


def foreign_load(a, b, wall):
    """Fraction of the CPUs that others (not this runner's children) used between samples."""
    return max(0.0, ((b[0] - a[0]) - (b[1] - a[1])) / (wall * (os.cpu_count() or 1)))


def cpu_busy(seconds=1.0):
    """Fraction of the CPUs busy over `seconds` (before the runs: other jobs' load)."""
    a = cpu_sample()
    time.sleep(seconds)
    return foreign_load(a, cpu_sample(), seconds)


def write_csv(path, rows, fields):
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=fields)
        wr.writeheader()
        wr.writerows(rows)


# The workloads drawn against P (--procs 1,2,4,...): each metric's median at its largest N.
CORE_CURVES = ("skynet", "ping_pong", "buffered", "select")


def core_chart(plt, args, summary, w, colors):
    """cores_<w>.png: time against P, one line per system, for the largest N that ran."""
    metrics = [m for m in WORKLOADS[w]["metrics"] if m not in ("rss_peak",)]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4.2), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        for s in args.systems:
            ns = [n for (ww, n, _, mm, ss) in summary if (ww, mm, ss) == (w, m, s)]
            if not ns:
                continue
            pts = sorted((p, st["median"]) for (ww, n, p, mm, ss), st in summary.items()
                         if (ww, n, mm, ss) == (w, max(ns), m, s))
            ax.plot(*zip(*pts), color=colors[s], marker="o",
                    label=f"{LABEL[s]} N={short_n(max(ns))}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(args.procs, [str(p) for p in args.procs])
        ax.set_xlabel("P (processors, cores)")
        ax.set_ylabel(f"{WORKLOADS[w]['metrics'][m]} (median)")
        ax.set_title(f"{w}: {m} against P")
        ax.grid(alpha=0.3, which="both")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    path = args.out / f"cores_{w}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def charts(args, summary, missing):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("no matplotlib (Debian: python3-matplotlib): charts skipped")
        return []
    colors = {"goro": "tab:red", "go": "tab:blue", "boost_fiber": "tab:green",
              "threads": "tab:gray", "redis": "tab:purple", "goro_trace": "tab:orange",
              "goro_base": "tab:pink"}
    made = []
    for w in args.workloads:
        if not any(key[0] == w for key in summary):
            continue  # nothing ran (every system or the load client missing): no chart
        metrics = WORKLOADS[w]["metrics"]
        groups = [(n, p) for ww, n, p, _ in cells(args) if ww == w]
        cols = min(len(metrics), 6)  # redis' 14 metrics: in rows of 6
        rows = -(-len(metrics) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4.2 * rows), squeeze=False)
        for ax in axes.flat[len(metrics):]:
            ax.set_visible(False)
        systems = [s for s in args.systems if applies(s, w)]  # no bars for "—"
        width = 0.8 / len(systems)
        for ax, (m, unit) in zip(axes.flat, metrics.items()):
            for i, s in enumerate(systems):
                xs, ys, lo, hi = [], [], [], []
                for g, (n, p) in enumerate(groups):
                    st = summary.get((w, n, p, m, s))
                    if st:
                        xs.append(g + (i - (len(systems) - 1) / 2) * width)
                        ys.append(st["median"])
                        lo.append(st["median"] - st["min"])
                        hi.append(st["max"] - st["median"])
                label = LABEL[s] + (" (missing)" if s in missing else "")
                ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, color=colors[s], label=label)
            ax.set_xticks(range(len(groups)),
                          [f"N={short_n(n)}\nP={p}" for n, p in groups], fontsize=8)
            ax.set_yscale("log")
            ax.set_title(f"{w}: {m}")
            ax.set_ylabel(f"{unit} (median, min–max; log)")
            ax.grid(axis="y", alpha=0.3)
        axes[0][0].legend(fontsize=8)
        fig.tight_layout()
        made.append(args.out / f"{w}.png")
        fig.savefig(made[-1], dpi=110)
        plt.close(fig)
        if w in CORE_CURVES and len(args.procs) > 1:
            made.append(core_chart(plt, args, summary, w, colors))
        if w not in ("skynet", "spawn_park"):
            continue
        # Scale curves: time and RSS per task against N, log-log; one line per system and P.
        curves = {"skynet": [("total", "time per leaf (ns/task)", 1e6), ("rss_peak",
                              "peak RSS growth per leaf (B/task)", 1)],
                  "spawn_park": [("spawn", "spawn until parked (ns/task)", 1),
                                 ("release_join", "release + join (ns/task)", 1),
                                 ("rss", "RSS per parked task (B/task)", 1)]}[w]
        fig, axes = plt.subplots(1, len(curves), figsize=(5.5 * len(curves), 4.2),
                                 squeeze=False)
        for ax, (m, title, scale) in zip(axes[0], curves):
            for s in args.systems:
                for p in args.procs:
                    pts = sorted((n, st["median"] * (scale / n if scale != 1 else 1))
                                 for (ww, n, pp, mm, ss), st in summary.items()
                                 if (ww, pp, mm, ss) == (w, p, m, s))
                    if pts:
                        ax.plot(*zip(*pts), color=colors[s], label=f"{LABEL[s]} P={p}",
                                marker="o" if p == 1 else "s", fillstyle="full" if p == 1
                                else "none", linestyle="-" if p == 1 else "--")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("N (tasks)")
            ax.set_title(f"{w}: {title}")
            ax.grid(alpha=0.3, which="both")
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        made.append(args.out / f"scale_{w}.png")
        fig.savefig(made[-1], dpi=110)
        plt.close(fig)
    return made


# ---------------------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="small N, 1 repetition: a smoke run (CI), under a minute once built")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help=f"comma-separated, of: {','.join(WORKLOADS)} (spawn-park = spawn_park)")
    ap.add_argument("--systems", default=",".join(DEFAULT_SYSTEMS),
                    help=f"comma-separated, of: {','.join(SYSTEMS)} (goro_trace: goro "
                         "recording its scheduler trace, off by default)")
    ap.add_argument("--procs", default="1,2", help="processor counts to run at (default 1,2)")
    ap.add_argument("--reps", type=int, help="repetitions per cell (default 5; --quick: 1)")
    ap.add_argument("--big", action="store_true",
                    help="also skynet at N=10M (Go and goro) and buffered at N=10M")
    ap.add_argument("--out", type=Path, default=PERF / "results", help="results directory")
    ap.add_argument("--build-dir", type=Path, default=ROOT / "build" / "perf",
                    help="CMake build directory (default build/perf)")
    ap.add_argument("--no-build", action="store_true", help="run what is already built")
    ap.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    ap.add_argument("--timeout", type=float, help="seconds per run (default 600; --quick: 60)")
    ap.add_argument("--base", metavar="REV",
                    help="also run goro's programs as of git revision REV (system goro_base, "
                         "shown as goro@REV), built from that commit's tree")
    args = ap.parse_args()
    args.workloads = [w.strip().replace("-", "_") for w in args.workloads.split(",") if w]
    args.systems = [s.strip() for s in args.systems.split(",") if s]
    args.procs = [int(p) for p in args.procs.split(",")]
    for name, got, known in (("workload", args.workloads, WORKLOADS),
                             ("system", args.systems, SYSTEMS)):
        if bad := [x for x in got if x not in known]:
            ap.error(f"unknown {name}(s): {', '.join(bad)}")
    if max(args.procs) > (os.cpu_count() or 1) or min(args.procs) < 1:
        ap.error(f"--procs must be within 1..{os.cpu_count()}")
    args.reps = args.reps or (1 if args.quick else 5)
    args.timeout = args.timeout or (60 if args.quick else 600)
    if args.base:
        got = subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", "-q",
                              args.base + "^{commit}"], capture_output=True, text=True)
        if got.returncode != 0:
            ap.error(f"--base {args.base}: not a commit of this repository")
        args.base_commit = got.stdout.strip()
        LABEL["goro_base"] = f"goro@{args.base}"
        args.systems.append("goro_base")
    elif "goro_base" in args.systems:
        ap.error("system goro_base needs --base REV")
    args.systems = [s for s in SYSTEMS if s in args.systems]  # goro first, then the peers
    args.out = args.out.resolve()
    args.build_dir = args.build_dir.resolve()
    return args


def main():
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python3 perf/run.py " + " ".join(sys.argv[1:])
    busy = cpu_busy()
    if busy > 0.2:
        log(f"warning: the CPUs were {busy:.0%} busy before the run: another job is running, "
            "results will be noisy")
    if args.no_build:
        binaries, missing = {}, {}
        if args.base:
            base_binaries(args, args.workloads, binaries, missing)
        find_redis_server(args.workloads, binaries, missing)
        for s in (s for s in SYSTEMS if s not in ("goro_base", "redis")):
            for w in (w for w in args.workloads if applies(s, w)):
                exe = args.build_dir / "perf-bin" / f"{s.replace('_trace', '')}_{w}"
                if exe.exists():
                    binaries[(s, w)] = exe
                else:
                    missing.setdefault(s, f"not built ({exe})")
        for w in args.workloads:
            client = WORKLOADS[w].get("client")
            exe = shutil.which(client) if client in DEBIAN_CLIENTS else \
                client and args.build_dir / "perf-bin" / client
            if exe and Path(exe).exists():
                binaries[("client", w)] = Path(exe)
            elif client in DEBIAN_CLIENTS:
                CLIENT_MISSING[w] = f"no `{client}` on PATH (Debian package " \
                    f"{DEBIAN_CLIENTS[client]})"
            elif client:
                CLIENT_MISSING[w] = f"not found ({exe})"
    else:
        binaries, missing = build(args, args.workloads)
    missing = {s: why for s, why in missing.items() if s in args.systems}
    busy = max(busy, cpu_busy())  # again after the build
    version = goro_version()  # as built (others may commit while the runs go on)
    started, before = time.time(), cpu_sample()
    raw = run_all(args, binaries)
    others = foreign_load(before, cpu_sample(), time.time() - started)
    if others > 0.05:
        log(f"warning: other jobs used {others:.0%} of the CPUs during the runs: noisy results")
    summary, failures = summarize(raw)

    fields = ["rep", "workload", "n", "procs", "system", "metric", "value", "unit", "status",
              "wall_s"]
    write_csv(args.out / "raw.csv", raw, fields)
    srows = [dict(workload=w, n=n, procs=p, metric=m, system=s, **st,
                  unit=WORKLOADS[w]["metrics"].get(m, ""))
             for (w, n, p, m, s), st in sorted(summary.items())]
    write_csv(args.out / "summary.csv", srows,
              ["workload", "n", "procs", "metric", "unit", "system", "median", "min", "max",
               "runs"])
    tgts = targets(args, summary, failures, binaries)
    write_csv(args.out / "targets.csv",
              [dict(zip(["workload", "target", "n", "procs", "figure", "verdict"], t))
               for t in tgts], ["workload", "target", "n", "procs", "figure", "verdict"])

    text = [f"command: {command}",
            f"machine: {machine()}",
            f"goro: {version}",
            f"date: {time.strftime('%Y-%m-%d %H:%M')}, {args.reps} rep(s) per cell, "
            f"{time.time() - started:.0f} s of runs; other jobs used {busy:.0%} of the CPUs "
            f"just before and {others:.0%} during the runs",
            "cells: median (min–max) over the repetitions; ratio: goro median / peer median "
            "(below 1: goro faster or smaller; for a metric marked ↑, higher is better: above "
            "1, goro faster); —: not run at this N (too many threads or too much memory for "
            "this system), or not applicable (below)",
            "echo, http, redis: the server pinned to core 0 (P = 1), the load client to core 1 "
            "(echo: perf/clients/echo_client.cpp, http: wrk, redis: redis-benchmark -t "
            "set,get,incr, its metrics ending in _pipe16 with -P 16); N = the client's "
            "connections; server_cpu, client_cpu: % of one core over the load", ""]
    text.append(table(args, summary, failures, binaries))
    na = [f"not applicable: {w} for {LABEL[s]} ({why})" for w in args.workloads
          for s, why in WORKLOADS[w].get("not_applicable", {}).items() if s in args.systems]
    na += [f"not applicable: {', '.join(others)} for {LABEL[s]} ({why})"
           for s, (only, why) in ONLY.items() if s in args.systems
           if (others := [w for w in args.workloads if w not in only])]
    if na:
        text.append("\n" + "\n".join(na))
    for s, why in missing.items():
        text.append(f"\n{LABEL[s]}: MISSING: {why}")
    for w, why in CLIENT_MISSING.items():
        if w in args.workloads:
            text.append(f"\n{w}: load client MISSING: {why}")
    for (w, n, p, s), fails in sorted(failures.items()):
        for rep, status in sorted(fails):
            text.append(f"FAILED: {w} N={short_n(n)} P={p} {LABEL[s]} rep {rep}: {status}")
    if args.base:
        worse = against_base(args, summary)
        text.append(f"\nagainst {LABEL['goro_base']} ({args.base_commit[:12]}): "
                    + (f"{len(worse)} figure(s) worse by more than 5 %:" if worse else
                       "no figure worse by more than 5 %"))
        text.extend(worse)
    text.append("\nPERF.md targets:")
    for w, what, n, p, figure, verdict in tgts:
        text.append(f"  [{verdict}] {w} N={short_n(n)} P={p}: {what}: {figure}")
    counts = {v: sum(t[5] == v for t in tgts) for v in ("met", "MISSED", "UNMEASURED")}
    text.append("targets: " + ", ".join(f"{c} {v.lower()}" for v, c in counts.items()))
    if not args.no_charts:
        made = charts(args, summary, missing)
        if made:
            text.append("charts: " + ", ".join(str(p.relative_to(args.out)) for p in made))
    report = "\n".join(text)
    (args.out / "table.md").write_text(report + "\n")
    print(report)
    log(f"results in {args.out}")
    # A workload that failed (wrong result, crash, timeout) fails the run; missed targets don't.
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
