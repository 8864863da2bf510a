# goro's gdb extension: the fibers of a live process or of a core file.
#
#   (gdb) source <prefix>/share/goro/gdb/goro_gdb.py
#   (gdb) goro fibers             every fiber: id, name, state, wait reason, thread
#   (gdb) goro bt 17              fiber 17's backtrace
#   (gdb) goro bt 17 full         what follows the id is passed on to gdb's `backtrace`
#
# How it finds the fibers: as the runtime's for_each_fiber does, by walking the stack pool.
# Every stack carved from a slab ends with a fiber control block (fiber_at(top)); the blocks
# that carry fiber_magic are live fibers (invariant F4 of runtime/src/fiber.hpp). The pool,
# the scheduler and the two layout constants are reached through the extern "C" symbols of
# runtime/src/debug/hooks.hpp, and every type through the debug information that
# debug/hooks.cpp carries in any build type. Nothing is called in the inferior and nothing is
# written to it, so a core file works as well as a live process.
#
# How `goro bt` unwinds a fiber that is not running: its saved Boost.Context fcontext
# (fiber.ctx.fctx) points at [mxcsr|x87cw, r12, r13, r14, r15, rbx, rbp, rip]; resuming it
# pops those and leaves rsp at fctx + 0x40. For the time of one `backtrace`, an unwinder
# gives the selected thread's innermost frame a caller with exactly these registers, and a
# frame filter hides the thread's own frames: what remains are the fiber's frames, numbered
# from #0. A running fiber's backtrace is that of the thread running it. x86-64 only, as the
# runtime.

import itertools
import re

import gdb
import gdb.unwinder

# The callee-saved registers in a saved fcontext, and their offsets from fctx.
_SAVED = (("r12", 0x08), ("r13", 0x10), ("r14", 0x18), ("r15", 0x20),
          ("rbx", 0x28), ("rbp", 0x30), ("rip", 0x38))
_RSP_AFTER_RESUME = 0x40


class _Error(gdb.GdbError):
    pass


def _u64():
    return gdb.lookup_type("unsigned long")


def _enum_name(value):
    """The enumerator's own name (gdb knows the enum from the debug information)."""
    n = int(value)
    for field in value.type.strip_typedefs().fields():
        if field.enumval == n:
            return field.name.rsplit("::", 1)[-1]
    return str(n)


def _atomic(value):
    """The value held by a std::atomic<T> (its T, stored first, in libstdc++ and libc++)."""
    t = value.type.strip_typedefs()
    try:
        inner = t.template_argument(0)
        return value.address.cast(inner.pointer()).dereference()
    except (RuntimeError, gdb.error):
        while t.code == gdb.TYPE_CODE_STRUCT and t.fields():
            value = value[t.fields()[0]]
            t = value.type.strip_typedefs()
        return value


def _vector(value):
    """The elements of a std::vector (libstdc++ or libc++)."""
    names = [f.name for f in value.type.strip_typedefs().fields()]
    if "__begin_" in names:
        first, last = value["__begin_"], value["__end_"]
    else:
        impl = value["_M_impl"]
        first, last = impl["_M_start"], impl["_M_finish"]
    n = int(last - first) if int(first) else 0
    return [first[i] for i in range(n)]


def _global(name):
    sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    if sym is not None:
        return sym.value()
    try:
        gdb.parse_and_eval("&'%s'" % name)  # an ELF symbol without debug information
    except gdb.error:
        raise _Error("not a goro process (no %s symbol)" % name)
    raise _Error("goro's debug information is missing (%s has no type): "
                 "was the program stripped of it?" % name)


def _field_offset(t, name):
    for field in t.fields():
        if field.name == name:
            return field.bitpos // 8
    raise _Error("goro: the fiber type has no field %s" % name)


class _Fiber:
    __slots__ = ("addr", "value", "id", "name", "state", "reason", "lo", "hi", "thread")

    def label(self):
        return "fiber %d (%s)" % (self.id, self.name) if self.name else "fiber %d" % self.id


class _Runtime:
    """One snapshot of the runtime's fibers (all of them, or the one whose id is `only`),
    and of the threads that run them."""

    def __init__(self, only=None):
        if gdb.selected_thread() is None:
            raise _Error("no process: run the program, attach to it or load a core file")
        self.inferior = gdb.selected_inferior()
        arch = self.inferior.architecture().name()
        if "x86-64" not in arch:
            raise _Error("goro: x86-64 only (this is %s)" % arch)
        pool_ptr = _global("goro_debug_stack_pool")
        magic = int(_global("goro_debug_fiber_magic"))
        offset = int(_global("goro_debug_fiber_offset"))
        self.fibers = []
        self.empty_slabs = 0  # slabs with stacks carved but no fiber found
        self.started = int(pool_ptr) != 0
        if not self.started:
            return
        fiber_t = gdb.lookup_type("goro::detail::fiber")
        magic_at = _field_offset(fiber_t, "magic")
        id_at = _field_offset(fiber_t, "id")
        pool = pool_ptr.dereference()
        for slab in _vector(pool["slabs_"]):
            base = int(slab["base"].cast(_u64()))
            slot, carved = int(slab["slot"]), int(slab["carved"])
            live = 0
            for top in range(base + slot, base + carved + 1, slot):
                addr = top - offset
                try:
                    if self._word(addr + magic_at) != magic:
                        continue
                    live += 1
                    if only is not None and self._word(addr + id_at) != only:
                        continue
                except gdb.MemoryError:
                    continue
                self.fibers.append(self._read(addr, fiber_t))
            if carved and not live:
                self.empty_slabs += 1
        self.fibers.sort(key=lambda f: f.id)
        # gdb's gcore stops copying a mapping at its first unreadable page, and a
        # MADV_GUARD_INSTALL guard page (K1 of runtime/src/stack_pool.hpp) is one: such a
        # core lacks the stacks of every slab. The kernel's core dumps have them.
        self.guard_pages_in_core = (
            self.empty_slabs > 0 and _is_core(self.inferior) and
            not bool(pool["force_mprotect_"]) and bool(pool["kernel_guard_ok_"]))
        self._place_running()

    def _word(self, addr):
        return int.from_bytes(bytes(self.inferior.read_memory(addr, 8)), "little")

    def _read(self, addr, fiber_t):
        v = gdb.Value(addr).cast(fiber_t.pointer()).dereference()
        f = _Fiber()
        f.addr, f.value = addr, v
        f.id = int(v["id"])
        raw = bytes(self.inferior.read_memory(v["name"].address, v["name"].type.sizeof))
        f.name = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        f.state = _enum_name(_atomic(v["state"]))
        f.reason = _enum_name(v["reason"])
        f.lo = int(v["stk"]["lo"].cast(_u64()))
        f.hi = f.lo + int(v["stk"]["size"])
        f.thread = None
        return f

    def _place_running(self):
        """Finds the thread of each running fiber: the thread whose stack pointer is in the
        fiber's stack, else the thread of the machine whose current fiber it is (or blocked
        one, inside goro::blocking): a thread on its signal stack, say."""
        running = [f for f in self.fibers if f.state == "running"]
        if not running:
            return
        threads = _thread_registers(self.inferior)
        for f in running:
            for t, rsp, _ in threads:
                if f.lo <= rsp < f.hi:
                    f.thread = t
        try:
            sched_ptr = _global("goro_debug_scheduler")
            machines = _vector(sched_ptr.dereference()["all_ms"]) if int(sched_ptr) else []
        except (_Error, gdb.error):
            machines = []
        by_addr = {f.addr: f for f in running}
        for m_ptr in machines:
            try:
                m = m_ptr.dereference()
                # std::thread holds its pthread_t, and nothing else, in libstdc++ and libc++.
                pthread = int(m["thread"].address.cast(_u64().pointer()).dereference())
                for field in ("current", "blocked"):
                    f = by_addr.get(int(m[field]))
                    if f is None or f.thread is not None or not pthread:
                        continue
                    for t, _, fs_base in threads:
                        if pthread in (_pthread_of(t), fs_base):
                            f.thread = t
            except gdb.error:
                continue

    def fiber(self, fid):
        for f in self.fibers:
            if f.id == fid:
                return f
        raise _Error("no fiber %d" % fid)


def _is_core(inferior):
    try:
        return inferior.connection.type == "core"
    except AttributeError:
        return False


def _pthread_of(thread):
    try:
        return int.from_bytes(thread.handle(), "little")
    except Exception:  # no libthread_db
        return None


class _KeepSelection:
    """Restores the selected thread and frame."""

    def __enter__(self):
        self.thread = gdb.selected_thread()
        try:
            self.level = gdb.selected_frame().level()
        except gdb.error:
            self.level = None
        return self

    def __exit__(self, *exc):
        if self.thread is not None and self.thread.is_valid():
            self.thread.switch()
            if self.level is not None:
                frame = gdb.newest_frame()
                for _ in range(self.level):
                    older = frame.older()
                    if older is None:
                        break
                    frame = older
                frame.select()
        return False


def _thread_registers(inferior):
    """(thread, rsp, fs_base) of each thread; on x86-64 Linux fs_base is its pthread_t."""
    out = []
    with _KeepSelection():
        for t in inferior.threads():
            try:
                t.switch()
                frame = gdb.newest_frame()
                rsp = int(frame.read_register("rsp"))
                try:
                    fs_base = int(frame.read_register("fs_base"))
                except (ValueError, gdb.error):
                    fs_base = None
                out.append((t, rsp, fs_base))
            except gdb.error:
                continue
    return out


def _describe_thread(t):
    lwp = t.ptid[1]
    return "%d (LWP %d)" % (t.num, lwp) if lwp else str(t.num)


class _FrameId:
    def __init__(self, sp, pc):
        self.sp = gdb.Value(sp).cast(_u64())
        self.pc = gdb.Value(pc).cast(_u64())


class _FiberUnwinder(gdb.unwinder.Unwinder):
    """During `goro bt` only: the selected thread's innermost (non-inline) frame gets the
    fiber's innermost frame as its caller, with the registers the fiber's fcontext saved."""

    def __init__(self):
        super().__init__("goro-fiber")
        self.target = None  # (the thread's pc, its sp, the fiber's registers)

    def __call__(self, pending_frame):
        if self.target is None:
            return None
        pc, sp, regs = self.target
        if (int(pending_frame.read_register("rip")) != pc or
                int(pending_frame.read_register("rsp")) != sp):
            return None
        # The frame's id: below the fiber's frames, as a callee's (gdb checks the order).
        info = pending_frame.create_unwind_info(_FrameId(regs["rsp"] - _RSP_AFTER_RESUME, pc))
        for r, v in regs.items():
            info.add_saved_register(r, gdb.Value(v).cast(_u64()))
        return info


class _SkipFrames:
    """During `goro bt` only: a frame filter that hides the selected thread's own frames,
    and the null return address that ends a fiber's stack (below make_fcontext)."""

    def __init__(self):
        self.name = "goro-fiber"
        self.priority = 100
        self.enabled = True
        self.skip = 0

    def filter(self, frames):
        return itertools.takewhile(lambda d: d.inferior_frame().pc() != 0,
                                   itertools.islice(frames, self.skip, None))


_UNWINDER = _FiberUnwinder()
_FILTER = _SkipFrames()


def _backtrace_from(regs, bt_args, from_tty):
    """Prints `backtrace bt_args` of the frames that `regs` (a resumable register set)
    start, numbered from #0."""
    with _KeepSelection():
        newest = gdb.newest_frame()
        pc = int(newest.read_register("rip"))
        sp = int(newest.read_register("rsp"))
        _UNWINDER.target = (pc, sp, regs)
        try:
            gdb.invalidate_cached_frames()
            # The thread's own frames (inline ones included) come first: count them.
            skip, f = 0, gdb.newest_frame()
            while f is not None and not (int(f.pc()) == regs["rip"] and
                                         int(f.read_register("rsp")) == regs["rsp"]):
                skip, f = skip + 1, f.older()
            if f is None:
                raise _Error("goro bt: cannot unwind from the fiber's saved registers")
            _FILTER.skip = skip
            gdb.frame_filters[_FILTER.name] = _FILTER
            try:
                out = gdb.execute("backtrace " + bt_args, from_tty, to_string=True)
            finally:
                del gdb.frame_filters[_FILTER.name]
        finally:
            _UNWINDER.target = None
            gdb.invalidate_cached_frames()
    # Levels as the fiber sees them: "#3  " becomes "#0  " when 3 frames were hidden.
    gdb.write(re.sub(r"^#(\d+) +", lambda m: "#%-2d " % (int(m.group(1)) - skip), out,
                     flags=re.M))


class GoroPrefix(gdb.Command):
    """Commands for programs built with goro.

goro fibers -- list every fiber: id, name, state, wait reason, thread, control block
goro bt ID [BACKTRACE-ARGS] -- backtrace of fiber ID"""

    def __init__(self):
        super().__init__("goro", gdb.COMMAND_STACK, gdb.COMPLETE_COMMAND, True)


class GoroFibers(gdb.Command):
    """List the fibers of a goro program: id, name, state, wait reason, thread, control block.

Usage: goro fibers
State is the runtime's (created, runnable, running, parked, dead); a parked fiber shows
why it waits (an enumerator of goro::detail::wait_reason), a running one the gdb thread
that runs it. Works on a live process and on a core file."""

    def __init__(self):
        super().__init__("goro fibers", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        if arg.strip():
            raise _Error("usage: goro fibers")
        rt = _Runtime()
        if not rt.started:
            gdb.write("no fibers: the goro runtime has not started\n")
            return
        rows = [("Id", "Name", "State", "Wait reason", "Thread", "Control block")]
        for f in rt.fibers:
            reason = f.reason if f.state == "parked" else ""
            thread = _describe_thread(f.thread) if f.thread is not None else ""
            rows.append((str(f.id), f.name or "-", f.state, reason, thread, "0x%x" % f.addr))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            cells = [r[0].rjust(widths[0])] + [c.ljust(w) for c, w in zip(r[1:], widths[1:])]
            gdb.write("  ".join(cells).rstrip() + "\n")
        gdb.write("%d fiber%s\n" % (len(rt.fibers), "" if len(rt.fibers) == 1 else "s"))
        if rt.guard_pages_in_core:
            gdb.write("note: %d slab(s) of stacks hold no fiber in this core file. gdb's gcore "
                      "leaves out the stacks guarded by MADV_GUARD_INSTALL (Linux 6.13 and "
                      "later); take the core with the kernel (e.g. kill -ABRT), or run the "
                      "program with GORO_STACK_GUARD=mprotect before a gcore.\n"
                      % rt.empty_slabs)


class GoroBacktrace(gdb.Command):
    """Print the backtrace of a fiber.

Usage: goro bt ID [BACKTRACE-ARGS]
ID is the fiber's id, as `goro fibers` lists it. What follows is passed on to `backtrace`
(e.g. `goro bt 17 full`, `goro bt 17 5`). A parked or runnable fiber is unwound from the
registers its last switch saved; a running fiber's backtrace is that of its thread. The
selected thread and frame are left as they were."""

    def __init__(self):
        super().__init__("goro bt", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if not args:
            raise _Error("usage: goro bt ID [BACKTRACE-ARGS]")
        try:
            fid = int(args[0], 0)
        except ValueError:
            raise _Error("goro bt: %s is not a fiber id" % args[0])
        rest = " ".join(args[1:])
        rt = _Runtime(only=fid)
        if not rt.started:
            raise _Error("no fiber %d: the goro runtime has not started" % fid)
        f = rt.fiber(fid)
        if f.state == "running":
            if f.thread is None:
                raise _Error("%s is running, on a thread that was not found" % f.label())
            gdb.write("%s, running on thread %s:\n" % (f.label(), _describe_thread(f.thread)))
            with _KeepSelection():
                f.thread.switch()
                gdb.execute("backtrace " + rest, from_tty)
            return
        if f.state == "created":
            raise _Error("%s has not started: no frames yet" % f.label())
        if f.state == "dead":
            raise _Error("%s has ended: no frames" % f.label())
        fctx = int(f.value["ctx"]["fctx"].cast(_u64()))
        if not f.lo <= fctx < f.hi:
            raise _Error("%s has no saved context in its stack" % f.label())
        words = bytes(rt.inferior.read_memory(fctx, _RSP_AFTER_RESUME))
        regs = {r: int.from_bytes(words[off:off + 8], "little") for r, off in _SAVED}
        regs["rsp"] = fctx + _RSP_AFTER_RESUME
        reason = " on %s" % f.reason if f.state == "parked" else ""
        gdb.write("%s, %s%s:\n" % (f.label(), f.state, reason))
        _backtrace_from(regs, rest, from_tty)


gdb.unwinder.register_unwinder(None, _UNWINDER, replace=True)
GoroPrefix()
GoroFibers()
GoroBacktrace()
