#!/usr/bin/env python3
"""Checks tools/gdb/goro_gdb.py on gdb_target (see gdb_target.cpp), in gdb's batch mode.

1. Live: gdb runs the target to its SIGTRAP (every other fiber parked), `goro fibers` must
   list each fiber with its state and wait reason and the main fiber with its thread;
   `goro bt <courier>` must show gdb_target::await_parcel and leave the selected thread,
   frame and registers as they were; `goro bt <courier> 3` passes its count on; `goro bt
   <main>` is its thread's backtrace; continued, the program must hand the courier its parcel
   and exit normally.
2. The same listing and backtraces from a core file written by gcore at the SIGTRAP.
3. The errors: an unknown fiber, no process, a runtime not started yet, not a goro process.
Exit status 0: passed; 1: failed; 77: gdb is missing (the test is skipped).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

# name in `goro fibers` -> state and wait reason (gdb_target.cpp's table)
PARKED = {
    "holder": "semaphore",
    "courier": "chan_receive",
    "locker": "mutex",
    "sleeper": "sleep",
    "sender": "chan_send",
    "waiter": "wait_group",
    "-": "cond",  # the unnamed fiber
}

# Runs inside gdb: the courier's id from `goro fibers`, its backtrace (whole, then 3 frames),
# a check that the selected frame and the registers are the same before and after, then the
# main fiber's backtrace.
BT_COURIER = r"""
import re
listing = gdb.execute("goro fibers", to_string=True)
courier = re.search(r"^\s*(\d+)\s+courier\s", listing, re.M).group(1)
print("check: courier id " + courier)
def regs():
    f = gdb.newest_frame()
    return [int(f.read_register(r)) for r in ("rip", "rsp", "rbp", "rbx", "r12", "r13", "r14", "r15")]
gdb.newest_frame().older().older().select()
before = (regs(), gdb.selected_thread().num, gdb.selected_frame().level())
gdb.execute("goro bt " + courier)
gdb.execute("goro bt %s 3" % courier)
after = (regs(), gdb.selected_thread().num, gdb.selected_frame().level())
print("check: selection and registers " + ("intact" if after == before else "CHANGED"))
main = re.search(r"^\s*(\d+)\s+main\s", listing, re.M).group(1)
gdb.execute("goro bt " + main)
"""

failures = []


def check(ok, what, output):
    if ok:
        print("ok: " + what)
    else:
        failures.append(what)
        print("FAILED: " + what)
        print("---- gdb output ----\n" + output + "\n--------------------")


def run_gdb(gdb, args, timeout=180):
    cmd = [gdb, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set width 0"] + args
    print("$ " + " ".join("'%s'" % a if " " in a else a for a in cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    return p.stdout


def check_listing(out, where):
    for name, reason in PARKED.items():
        check(re.search(r"^\s*\d+\s+%s\s+parked\s+%s\s" % (re.escape(name), reason), out, re.M),
              "%s: %s listed as parked on %s" % (where, name, reason), out)
    check(re.search(r"^\s*\d+\s+main\s+running\s+\d+ \(LWP \d+\)\s+0x", out, re.M),
          where + ": main listed as running, with its thread", out)
    check(re.search(r"^8 fibers$", out, re.M), where + ": 8 fibers in all", out)


def check_backtraces(out, where):
    m = re.search(r"^check: courier id (\d+)$", out, re.M)
    check(m, where + ": the courier has an id", out)
    if not m:
        return
    cid = m.group(1)
    bt = re.search(r"^fiber %s \(courier\), parked on chan_receive:\n((?:#\d+ .*\n)+)" % cid,
                   out, re.M)
    check(bt, where + ": goro bt %s prints the courier's frames" % cid, out)
    if bt:
        frames = bt.group(1)
        check(re.search(r"gdb_target::await_parcel.*gdb_target\.cpp:\d+", frames),
              where + ": the courier's backtrace shows gdb_target::await_parcel", out)
        check(re.search(r"fiber_main", frames),
              where + ": the courier's backtrace goes down to fiber_main", out)
    check(re.search(r"^check: selection and registers intact$", out, re.M),
          where + ": the selected thread, frame and registers are left as they were", out)
    bts = re.findall(r"^fiber %s \(courier\), parked on chan_receive:\n((?:#\d+ .*\n)+)" % cid,
                     out, re.M)
    check(len(bts) == 2 and re.findall(r"^#(\d+) ", bts[1], re.M) == ["0", "1", "2"],
          where + ": goro bt %s 3 prints frames #0 to #2" % cid, out)
    main_bt = re.search(r"^fiber \d+ \(main\), running on thread \d+ \(LWP \d+\):\n"
                        r"((?:#\d+ .*\n)+)", out, re.M)
    check(main_bt and re.search(r"raise", main_bt.group(1)),
          where + ": goro bt of the main fiber is its thread's backtrace (in raise)", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gdb", default="")
    ap.add_argument("--extension", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--work-dir", required=True)
    a = ap.parse_args()
    gdb = a.gdb if a.gdb and not a.gdb.endswith("-NOTFOUND") else shutil.which("gdb")
    if not gdb or not os.access(gdb, os.X_OK):
        print("gdb not found: install it (cmake/scripts/install-deps.sh); test skipped")
        return 77
    shutil.rmtree(a.work_dir, ignore_errors=True)
    os.makedirs(a.work_dir)
    core = os.path.join(a.work_dir, "gdb_target.core")
    stdout = os.path.join(a.work_dir, "gdb_target.out")  # the program's, apart from gdb's
    bt_script = os.path.join(a.work_dir, "bt_courier.py")
    with open(bt_script, "w") as f:
        f.write(BT_COURIER)

    # 1. The live process.
    out = run_gdb(gdb, ["-ex", "source " + a.extension, "-ex", "run > " + stdout, "-ex", "goro fibers",
                        "-ex", "source " + bt_script, "-ex", "goro bt 999999",
                        "-ex", "continue", a.target])
    print(out)
    with open(stdout) as f:
        program = f.read()
    print("---- the program's output ----\n" + program + "------------------------------")
    check(re.search(r"received signal SIGTRAP", out), "live: stopped at the SIGTRAP", out)
    check_listing(out, "live")
    check_backtraces(out, "live")
    printed = re.search(r"^gdb_target: courier is fiber (\d+)$", program, re.M)
    listed = re.search(r"^check: courier id (\d+)$", out, re.M)
    check(printed and listed and printed.group(1) == listed.group(1),
          "live: the courier's id is the one the program printed", out)
    check(re.search(r"^no fiber 999999$", out, re.M), "live: goro bt 999999 says no fiber", out)
    check(re.search(r"^gdb_target: courier got 42$", program, re.M) and
          re.search(r"\[Inferior 1 \(process \d+\) exited normally\]", out),
          "live: continued, the program ends normally", out)

    # 2. A core file, written by gdb's gcore. gcore cannot copy a mapping past a
    # MADV_GUARD_INSTALL guard page, so the stacks are guarded with mprotect here.
    out = run_gdb(gdb, ["-ex", "set environment GORO_STACK_GUARD=mprotect",
                        "-ex", "run > " + stdout, "-ex", "gcore " + core, "-ex", "kill",
                        a.target])
    print(out)
    if os.path.exists(core):
        out = run_gdb(gdb, ["-ex", "source " + a.extension, "-ex", "goro fibers",
                            "-ex", "source " + bt_script, a.target, core])
        print(out)
        check_listing(out, "core")
        check_backtraces(out, "core")
        os.remove(core)
    else:
        check(False, "gcore wrote " + core, "")

    # 3. Errors.
    out = run_gdb(gdb, ["-ex", "source " + a.extension, "-ex", "goro fibers",
                        "-ex", "starti", "-ex", "goro fibers", "-ex", "goro bt 1",
                        "-ex", "kill", a.target])
    print(out)
    check(re.search(r"^no process: run the program", out, re.M), "errors: no process", out)
    check(re.search(r"^no fibers: the goro runtime has not started$", out, re.M),
          "errors: goro fibers before the runtime starts", out)
    check(re.search(r"^no fiber 1: the goro runtime has not started$", out, re.M),
          "errors: goro bt before the runtime starts", out)
    not_goro = shutil.which("true") or "/bin/true"
    out = run_gdb(gdb, ["-ex", "source " + a.extension, "-ex", "starti", "-ex", "goro fibers",
                        "-ex", "kill", not_goro])
    print(out)
    check(re.search(r"^not a goro process \(no goro_debug_stack_pool symbol\)$", out, re.M),
          "errors: not a goro process", out)

    if failures:
        print("%d check(s) failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
