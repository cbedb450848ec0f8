"""gilbench's CPython driver: runs one cell of the matrix in a real interpreter.

    python driver.py probe          print what this interpreter is and has (JSON)
    python driver.py check FILE     load a workload file, report its task and settings
    python driver.py serve          run a cell; the protocol is on descriptors 3 and 4

The protocol is JSON lines: commands on descriptor 3, events on descriptor 4, never on
stdout or stderr, which belong to the workload. The driver says hello; it is told to
open a cell (the workload file, the strategy, the workers, the size, the parameters),
starts the workers with the timer off and says ready; then, per batch command, it
queues the jobs and one sentinel per worker, waits until every worker stands at the
gate, starts the timer, releases them together (the starting gun) and stops the timer
at the last result. It reports the batch: wall time, CPU time of this process and its
worker processes, peak RSS, per-task latencies, the checksum, the workload's figures.
See docs/design/CPYTHON.md. Standard library only; CPython 2.7 and 3.8+.
"""

from __future__ import print_function

import json
import os
import sys
import threading
import time
import traceback

try:
    import queue
except ImportError:  # Python 2
    import Queue as queue

PROTOCOL = 1
MASK = (1 << 64) - 1
clock = getattr(time, "perf_counter", time.time)
POLL = 0.1  # seconds between looks at the workers while waiting for them

BEGIN, END, QUIT = -1, -2, -3          # jobs other than tasks
AT_GATE, DONE = "at-gate", "done"      # messages other than results
CHUNK = "chunk"                        # the results of a chunk of tasks


class TaskError(Exception):
    """A task that failed in another interpreter: the message is already file:line: msg."""


class Skip(Exception):
    """The cell cannot run faithfully under this strategy; the reason is the message."""


class Fault(Exception):
    """The cell failed (a dead worker, a workload that will not load)."""


# --- what a failure says ---------------------------------------------------------------

DISPLAY = {}  # a directory of the driver's files -> how to name it in messages


def where(filename):
    for d, name in sorted(DISPLAY.items(), key=lambda kv: -len(kv[0])):
        if filename.startswith(d):
            return name + filename[len(d):]
    return filename


def describe(exc_type, exc, tb):
    """file:line: Type: message, of the last frame of the traceback."""
    msg = "%s: %s" % (exc_type.__name__, exc) if str(exc) else exc_type.__name__
    if isinstance(exc, SyntaxError) and exc.filename:
        return "%s:%s: SyntaxError: %s" % (where(exc.filename), exc.lineno, exc.msg)
    frames = traceback.extract_tb(tb)
    if frames:
        f = frames[-1]
        return "%s:%d: %s" % (where(f[0]), f[1], msg)
    return msg


def current_error():
    return describe(*sys.exc_info())


# --- loading a workload ----------------------------------------------------------------

def load_module(name, path):
    if name in sys.modules:
        return sys.modules[name]
    try:
        import importlib.util
    except ImportError:  # Python 2
        import imp
        return imp.load_source(name, path)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        del sys.modules[name]
        raise
    return mod


def setup(conf, objects):
    """Prepare this process (or interpreter) for conf's workload: the natives' parameters,
    the shared objects, the workload module. Returns (task, atask, module)."""
    for d, name in conf.get("display", {}).items():
        DISPLAY[d] = name
    if conf["support"] not in sys.path:
        sys.path.insert(0, conf["support"])
    import gilbench
    gilbench.params.clear()
    gilbench.params.update(conf["params"])
    gilbench.strategy = conf["strategy"]
    for k, v in (objects or {}).items():
        setattr(gilbench.shared, k, v)
    mod = load_module("gilbench_workload", conf["path"])
    task = getattr(mod, "task", None)
    if not callable(task):
        raise Fault("%s: defines no function task(i, size)" % where(conf["path"]))
    atask = getattr(mod, "atask", None)
    if conf.get("async_path"):
        atask = getattr(load_module("gilbench_workload_async", conf["async_path"]), "atask", None)
    return task, atask, mod


def make_shared(spec, strategy, ctx):
    """The workload's SHARED objects, made for the strategy."""
    import gilbench
    out = {}
    for name, kind in sorted(spec.items()):
        if kind == "lock":
            out[name] = ctx.Lock() if strategy == "process" else threading.Lock()
        elif kind == "int":
            if strategy == "process":
                import ctypes
                out[name] = ctx.RawValue(ctypes.c_longlong, 0)
            else:
                out[name] = gilbench.Value(0)
        else:
            raise Fault("SHARED[%r] = %r: want 'lock' or 'int'" % (name, kind))
    return out


def reset_shared(mod, objects):
    for v in objects.values():
        if hasattr(v, "value"):
            v.value = 0
    if callable(getattr(mod, "reset", None)):
        mod.reset()


def int64(x):
    x &= MASK
    return x - (1 << 64) if x >> 63 else x


def run_task(task, i, size):
    """Task i: (result, latency ns, error or None)."""
    t0 = clock()
    try:
        v = task(i, size)
        if not isinstance(v, (int, type(1 << 70))):
            raise TypeError("task(%d, %d) returned %s, want an int" % (i, size, type(v).__name__))
        err = None
    except TaskError as e:
        v, err = 0, str(e)
    except Exception:
        v, err = 0, current_error()
    return int64(v), int((clock() - t0) * 1e9), err


def cpu_seconds():
    """User and system CPU time of this process, every thread (getrusage: microseconds)."""
    try:
        import resource
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    except ImportError:
        t = os.times()
        return t[0] + t[1]


def _status_bytes(field):
    """A field of /proc/self/status in bytes (0 where /proc is not there)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (IOError, OSError):
        pass
    return 0


def peak_rss():
    """VmHWM of this process in bytes (0 where /proc is not there)."""
    return _status_bytes("VmHWM")


def resident():
    """VmRSS of this process in bytes now (0 where /proc is not there)."""
    return _status_bytes("VmRSS")


# --- the workers -----------------------------------------------------------------------

def work(task, size, jobs, results, go, resume, ident, joinable, figures):
    """A worker: take jobs until QUIT. BEGIN: say so and wait for the starting gun; a
    task: run it and put its result (a chunk (i, n): its n results in one message); END
    (the sentinel): put the worker's figures and wait until every worker has met its own."""
    while True:
        j = jobs.get()
        try:
            if j == QUIT:
                return
            if j == BEGIN:
                cpu0 = cpu_seconds()
                results.put((AT_GATE, ident))
                go.wait()
            elif j == END:
                results.put((DONE, ident, figures(cpu_seconds() - cpu0)))
                resume.acquire()
            elif isinstance(j, tuple):  # a chunk: the tasks i..i+n-1, one message back
                out = []
                for i in range(j[0], j[0] + j[1]):
                    out.append((i,) + run_task(task, i, size))
                results.put((CHUNK, out))
            else:
                v, lat, err = run_task(task, j, size)
                results.put((j, v, lat, err))
        finally:
            if joinable:
                jobs.task_done()


def no_figures(cpu):
    return None


def process_figures(cpu):
    import gilbench
    return {"cpu": cpu, "rss": peak_rss(), "metrics": gilbench.take_metrics()}


def process_worker(conf, objects, jobs, results, go, resume):
    """The body of a worker process (the target of multiprocessing.Process)."""
    # Let go of the protocol's descriptors (a forked worker inherits them), so that the
    # parent of the driver sees it end when it ends.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (3, 4):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    die_with_parent()
    try:
        task, _, _ = setup(conf, objects)
    except BaseException:
        results.put((DONE, os.getpid(), {"error": current_error()}))
        return
    results.put((DONE, os.getpid(), {}))
    work(task, conf["size"], jobs, results, go, resume, os.getpid(), True, process_figures)


def die_with_parent():
    """Ask Linux to end this process when the driver ends (PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)
    except Exception:
        pass


class Pool(object):
    """The workers of one cell: one job queue, one result queue, a sentinel per worker."""

    def __init__(self, conf, task, atask, mod):
        self.conf, self.task, self.atask, self.mod = conf, task, atask, mod
        self.size = conf["size"]
        self.n = conf["workers"]
        self.objects = {}
        self.pids = []

    def alive(self):
        """Raise Fault if a worker has died."""

    def get(self, q):
        """The next message of q, looking at the workers while waiting."""
        while True:
            try:
                return q.get(True, POLL)
            except queue.Empty:
                self.alive()

    def batch(self, tasks):
        reset_shared(self.mod, self.objects)
        import gilbench
        gilbench.take_metrics()
        res = self.run(tasks)
        res["metrics"] = dict(gilbench.take_metrics(), **res.get("metrics", {}))
        if callable(getattr(self.mod, "check", None)):
            try:
                res["metrics"].update(self.mod.check(tasks, self.size) or {})
            except Exception:
                res.setdefault("error", "after the batch: " + current_error())
        return res

    def close(self):
        """Stop the workers and wait for them."""

    def abort(self):
        """Stop the workers now, after a failure."""


class SeqPool(Pool):
    """One thread, no other: the driver's main thread takes the jobs itself."""

    def __init__(self, *args):
        Pool.__init__(self, *args)
        self.objects = make_shared(getattr(self.mod, "SHARED", {}), "seq", None)
        setup(self.conf, self.objects)

    def run(self, tasks):
        jobs = queue.Queue()
        for i in range(tasks):
            jobs.put(i)
        results = []
        task, size = self.task, self.size
        c0, t0 = cpu_seconds(), clock()
        while True:
            try:
                i = jobs.get_nowait()
            except queue.Empty:
                break
            results.append((i,) + run_task(task, i, size))
        t1, c1 = clock(), cpu_seconds()
        return summary(results, t1 - t0, c1 - c0, peak_rss())


class GatedPool(Pool):
    """Workers (threads, processes, interpreters) that take jobs from one queue and meet
    at a gate before every batch."""

    joinable = False
    chunk = 1  # tasks per job message

    def start_workers(self):
        raise NotImplementedError

    def run(self, tasks):
        self.go.clear()
        for _ in range(self.n):
            self.jobs.put(BEGIN)
        if self.chunk > 1:
            for i in range(0, tasks, self.chunk):
                self.jobs.put((i, min(self.chunk, tasks - i)))
        else:
            for i in range(tasks):
                self.jobs.put(i)
        for _ in range(self.n):
            self.jobs.put(END)
        for _ in range(self.n):
            m = self.get(self.results)
            if m[0] != AT_GATE:
                raise Fault("message %r before the starting gun" % (m,))
        c0, t0 = cpu_seconds(), clock()
        self.go.set()  # the starting gun
        results, reports = [], []
        while len(results) < tasks:
            m = self.get(self.results)
            if m[0] == DONE:
                reports.append(m[2])
            elif m[0] == CHUNK:
                results.extend(m[1])
            else:
                results.append(m)
        t1, c1 = clock(), cpu_seconds()
        while len(reports) < self.n:
            m = self.get(self.results)
            if m[0] != DONE:
                raise Fault("message %r after the batch" % (m,))
            reports.append(m[2])
        for _ in range(self.n):
            self.resume.release()
        rss, cpu, metrics = peak_rss(), c1 - c0, {}
        for r in reports:
            if not r:
                continue
            cpu += r["cpu"]
            rss = max(rss, r["rss"])
            for unit, v in r["metrics"].items():
                if unit not in metrics:
                    metrics[unit] = v
                elif unit in ("p50-ns", "p99-ns"):
                    metrics[unit] = max(metrics[unit], v)
                else:
                    metrics[unit] += v
        res = summary(results, t1 - t0, cpu, rss)
        res["metrics"] = metrics
        return res

    def close(self):
        for _ in range(self.n):
            self.jobs.put(QUIT)


class ThreadPool(GatedPool):
    """threading.Thread workers over queue.Queue."""

    def __init__(self, *args):
        GatedPool.__init__(self, *args)
        self.objects = make_shared(getattr(self.mod, "SHARED", {}), "threads", None)
        setup(self.conf, self.objects)
        self.jobs, self.results = queue.Queue(), queue.Queue()
        self.go, self.resume = threading.Event(), threading.Semaphore(0)
        self.threads = []
        for k in range(self.n):
            t = threading.Thread(target=work, name="worker-%d" % k,
                                 args=(self.task, self.size, self.jobs, self.results, self.go, self.resume, k, False, no_figures))
            t.daemon = True
            t.start()
            self.threads.append(t)

    def close(self):
        GatedPool.close(self)
        for t in self.threads:
            t.join()


class ProcessPool(GatedPool):
    """multiprocessing.Process workers over a JoinableQueue of jobs and a Queue of results;
    with a chunksize, a job message is that many task ids, as Pool.map sends them."""

    joinable = True

    def __init__(self, *args):
        GatedPool.__init__(self, *args)
        self.chunk = chunksize(self.conf)
        import multiprocessing
        method = self.conf.get("start") or ""
        if hasattr(multiprocessing, "get_context"):
            ctx = multiprocessing.get_context(method or None)
            self.method = ctx.get_start_method()
        else:  # Python 2: fork only
            if method not in ("", "fork"):
                raise Skip("Python 2's multiprocessing has no start method %s (fork only)" % method)
            ctx, self.method = multiprocessing, "fork"
        self.objects = make_shared(getattr(self.mod, "SHARED", {}), "process", ctx)
        setup(self.conf, self.objects)
        self.jobs, self.results = ctx.JoinableQueue(), ctx.Queue()
        self.go, self.resume = ctx.Event(), ctx.Semaphore(0)
        self.procs = []
        try:
            for _ in range(self.n):
                p = ctx.Process(target=process_worker,
                                args=(self.conf, self.objects, self.jobs, self.results, self.go, self.resume))
                p.daemon = True
                p.start()
                self.procs.append(p)
            for _ in range(self.n):
                m = self.get(self.results)
                if m[2].get("error"):
                    raise Fault("worker pid %d: %s" % (m[1], m[2]["error"]))
        except BaseException:
            self.kill()
            raise
        self.pids = [p.pid for p in self.procs]

    def alive(self):
        for p in self.procs:
            if p.exitcode is not None:
                code = p.exitcode
                how = "with signal %d" % -code if code < 0 else "with status %d" % code
                raise Fault("worker pid %d exited %s" % (p.pid, how))

    def kill(self):
        for p in self.procs:
            if p.exitcode is None:
                p.terminate()
        for p in self.procs:
            p.join(5)

    def close(self):
        GatedPool.close(self)
        for p in self.procs:
            p.join(5)
        self.kill()

    def abort(self):
        self.kill()


class SubinterpPool(GatedPool):
    """One sub-interpreter per worker, each with its own GIL, run from its own thread.

    Each interpreter runs its own job loop: one call into it per batch (_gb_batch), which
    takes task ids from one job pipe shared by every interpreter (fixed 8-byte records,
    each written in one write, so that a read of 8 bytes is always one whole id; a
    negative id is the sentinel) and writes each result as one JSON line to one result
    pipe that the main interpreter reads. os.read and os.write release the interpreter's
    GIL while they wait. So the main interpreter, whose GIL every call into a
    sub-interpreter would contend for, is out of the loop between tasks."""

    BATCH = ("import json as _json, os as _os, struct as _struct\n"
             "def _gb_batch():\n"
             "    while True:\n"
             "        i = _struct.unpack('<q', _os.read(_gb_jobs, 8))[0]\n"
             "        if i < 0:\n"
             "            return\n"
             "        v, lat, err = _gb_driver.run_task(_gb_task, i, _gb_size)\n"
             "        err = err and err[:2000]  # a line under PIPE_BUF: one atomic write\n"
             "        _os.write(_gb_out, (_json.dumps([i, v, lat, err]) + '\\n').encode())\n")

    def __init__(self, *args):
        GatedPool.__init__(self, *args)
        if sys.version_info < (3, 12):
            raise Skip("Python %d.%d has no sub-interpreters with a GIL of their own (3.12 and later have them)" % sys.version_info[:2])
        if getattr(self.mod, "SHARED", None):
            raise Skip("sub-interpreters share no Python objects; this workload's SHARED state needs threads or processes")
        self.api = subinterp_api()
        self.cmds = [queue.Queue() for _ in range(self.n)]
        self.results = queue.Queue()  # the host threads' at-gate and done messages
        self.go, self.resume = threading.Event(), threading.Semaphore(0)
        self.jobs_r, self.jobs_w = os.pipe()
        self.out_r, self.out_w = os.pipe()
        self.pipe_size = pipe_size(self.jobs_w)
        self.interps, self.threads = [], []
        driver_dir = os.path.dirname(os.path.abspath(__file__))
        for k in range(self.n):
            iid = self.api.create()
            self.interps.append(iid)
            code = ("import sys\nsys.path[:0] = %r\nimport driver as _gb_driver\n"
                    "_gb_task, _, _ = _gb_driver.setup(%r, None)\n_gb_size = %d\n_gb_jobs = %d\n_gb_out = %d\n"
                    % ([driver_dir], self.conf, self.size, self.jobs_r, self.out_w)) + self.BATCH
            err = self.api.run(iid, code)
            if err:
                self.close()
                raise Fault("sub-interpreter %d: %s" % (k, err))
        for k, iid in enumerate(self.interps):
            t = threading.Thread(target=self.host, name="interp-%d" % k, args=(k, iid))
            t.daemon = True
            t.start()
            self.threads.append(t)

    def host(self, k, iid):
        """The thread of interpreter k: per batch, meet at the gate, then run the
        interpreter's job loop in one call."""
        while True:
            if self.cmds[k].get() == QUIT:
                return
            self.results.put((AT_GATE, k))
            self.go.wait()
            err = self.api.run(iid, "_gb_batch()")
            self.results.put((DONE, k, err))
            self.resume.acquire()

    def feed(self, records):
        """Write task ids to the job pipe, one write of 8 bytes each."""
        for b in records:
            os.write(self.jobs_w, b)

    def run(self, tasks):
        import select
        import struct
        self.go.clear()
        for q in self.cmds:
            q.put(BEGIN)
        for _ in range(self.n):
            m = self.get(self.results)
            if m[0] != AT_GATE:
                raise Fault("message %r before the starting gun" % (m,))
        # The batch's ids and a sentinel per interpreter, in the job pipe before the gun
        # as far as it holds them (the interpreters wait at the gate, the pipe is empty:
        # one write); the rest from a feeder thread, as the interpreters take them.
        records = [struct.pack("<q", i) for i in range(tasks)] + [struct.pack("<q", -1)] * self.n
        head = self.pipe_size // 8
        os.write(self.jobs_w, b"".join(records[:head]))
        feeder = None
        if len(records) > head:
            feeder = threading.Thread(target=self.feed, args=(records[head:],), name="feeder")
            feeder.daemon = True
        c0, t0 = cpu_seconds(), clock()
        self.go.set()  # the starting gun
        if feeder:
            feeder.start()
        results, buf, done = [], b"", []
        while len(results) < tasks:
            ready, _, _ = select.select([self.out_r], [], [], POLL)
            if ready:
                buf += os.read(self.out_r, 65536)
                lines = buf.split(b"\n")
                buf = lines.pop()
                for line in lines:
                    i, v, lat, err = json.loads(line.decode())
                    results.append((i, v, lat, err))
                continue
            try:  # an interpreter whose job loop failed ends before the batch does
                m = self.results.get_nowait()
            except queue.Empty:
                continue
            done.append(m)
            if m[2]:
                raise Fault("sub-interpreter %d: %s" % (m[1], m[2]))
        t1, c1 = clock(), cpu_seconds()
        while len(done) < self.n:
            m = self.get(self.results)
            if m[0] != DONE or m[2]:
                raise Fault("sub-interpreter %d after the batch: %r" % (m[1], m[2:]))
            done.append(m)
        if feeder:
            feeder.join()
        for _ in range(self.n):
            self.resume.release()
        res = summary(results, t1 - t0, c1 - c0, peak_rss())
        res["metrics"] = {}
        return res

    def close(self):
        for q in getattr(self, "cmds", []):
            q.put(QUIT)
        for t in self.threads:
            t.join()
        for iid in self.interps:
            try:
                self.api.destroy(iid)
            except Exception:
                pass
        self.interps = []
        for fd in (self.jobs_r, self.jobs_w, self.out_r, self.out_w):
            try:
                os.close(fd)
            except OSError:
                pass


def pipe_size(fd):
    """The capacity of a pipe in bytes: 1 MiB where Linux allows it, else what it has;
    4096 (POSIX's least) where it cannot be asked."""
    try:
        import fcntl
        try:
            fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ
        except (IOError, OSError):
            pass
        return fcntl.fcntl(fd, 1032)  # F_GETPIPE_SZ
    except (ImportError, IOError, OSError):
        return 4096


def subinterp_api():
    """create/run/destroy over whichever module this interpreter has."""
    class API(object):
        pass
    api = API()
    try:
        from concurrent import interpreters as ci  # 3.14+

        def create():
            return ci.create()

        def run(interp, code):
            try:
                getattr(interp, "exec")(code)  # a keyword in Python 2
            except ci.ExecutionFailed as e:
                return str(e)
            return None
        api.create, api.run, api.destroy = create, run, lambda interp: interp.close()
        return api
    except ImportError:
        pass
    try:
        import _interpreters as m  # 3.13

        def run13(iid, code):
            exc = getattr(m, "exec")(iid, code)
            return None if exc is None else "%s: %s" % (getattr(exc, "type", "error"), getattr(exc, "msg", exc))
        api.create, api.run, api.destroy = (lambda: m.create("isolated")), run13, m.destroy
        return api
    except ImportError:
        pass
    import _xxsubinterpreters as m  # 3.12

    def run12(iid, code):
        try:
            m.run_string(iid, code)
        except Exception as e:
            return str(e)
        return None
    api.create, api.run, api.destroy = (lambda: m.create(isolated=True)), run12, m.destroy
    return api


class AsyncioPool(Pool):
    """One event loop; N worker coroutines take the jobs from an asyncio.Queue. A task
    awaits the workload's atask where it has one, else runs task inline, blocking the loop."""

    def __init__(self, *args):
        Pool.__init__(self, *args)
        if sys.version_info < (3, 5):
            raise Skip("Python %d.%d has no asyncio with async/await" % sys.version_info[:2])
        import asyncio
        self.objects = make_shared(getattr(self.mod, "SHARED", {}), "threads", None)
        setup(self.conf, self.objects)
        self.loop = asyncio.new_event_loop()

    def run(self, tasks):
        import driver_async  # async def is a syntax error in Python 2
        results = []
        elapsed, cpu = self.loop.run_until_complete(
            driver_async.batch(self.task, self.atask, self.size, self.n, tasks, results))
        return summary(results, elapsed, cpu, peak_rss())

    def close(self):
        if "gilbench_async" in sys.modules:
            sys.modules["gilbench_async"].close_all()
        self.loop.close()


def chunksize(conf):
    """The tasks per job message of conf's cell: its chunksize parameter, else 1."""
    v = conf["params"].get("chunksize", "1")
    try:
        n = int(v)
    except ValueError:
        n = 0
    if n < 1:
        raise Fault("chunksize=%r: want a whole number of tasks, at least 1" % (v,))
    return n


# A multiprocessing.Pool worker's state: set by pool_init, read by the functions the
# pool runs (each worker process has its own).
_pool_state = {}


def pool_init(conf, objects, barrier):
    """The initializer of a multiprocessing.Pool worker: load the workload. A failure is
    kept and reported by the worker's first call (an initializer that raises makes the
    pool start a new worker for ever)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (3, 4):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    die_with_parent()
    _pool_state.update(size=conf["size"], barrier=barrier, error=None, task=None)
    try:
        _pool_state["task"] = setup(conf, objects)[0]
    except BaseException:
        _pool_state["error"] = current_error()


def pool_task(i):
    """One task of imap_unordered: (i, result, latency ns, error or None)."""
    if _pool_state["error"]:
        return i, 0, 0, _pool_state["error"]
    return (i,) + run_task(_pool_state["task"], i, _pool_state["size"])


def pool_each(_):
    """A call that every worker makes once: n calls meet at a barrier of n, so no worker
    can take two. Returns the worker's pid, CPU seconds, peak RSS, figures, error."""
    import gilbench
    _pool_state["barrier"].wait()
    return (os.getpid(), cpu_seconds(), peak_rss(), gilbench.take_metrics(), _pool_state["error"])


class MpPool(Pool):
    """multiprocessing.Pool(N), its tasks sent by imap_unordered(task, range(tasks),
    chunksize): the pool's own task queue, task-handler and result-handler threads, and
    chunking. The pool is made and every worker has loaded the workload (a call each,
    met at a barrier) before the first batch; a batch is timed from the imap_unordered
    call to its last result, its CPU time is the driver's and every worker's (read by a
    call each, before and after, outside the timed part)."""

    def __init__(self, *args):
        Pool.__init__(self, *args)
        if sys.version_info < (3, 3):
            raise Skip("Python %d.%d's multiprocessing has no Barrier, which the pool's per-worker figures need (3.3 and later have it)" % sys.version_info[:2])
        skip = getattr(self.mod, "skip", None)
        reason = skip("process") if callable(skip) else None  # its workers are processes
        if reason:
            raise Skip(reason)
        import multiprocessing
        self.chunk = chunksize(self.conf)
        ctx = multiprocessing.get_context(self.conf.get("start") or None)
        self.method = ctx.get_start_method()
        self.objects = make_shared(getattr(self.mod, "SHARED", {}), "process", ctx)
        setup(self.conf, self.objects)
        self.barrier = ctx.Barrier(self.n)
        self.pool = ctx.Pool(self.n, initializer=pool_init, initargs=(self.conf, self.objects, self.barrier))
        try:
            first = self.each()
        except BaseException:
            self.abort()
            raise
        self.pids = sorted(first)
        self.cpu = dict((pid, r[1]) for pid, r in first.items())

    def each(self):
        """pool_each in every worker, by pid; a worker's load error is a Fault."""
        res = self.pool.map_async(pool_each, range(self.n), chunksize=1)
        while True:
            try:
                out = res.get(POLL)
                break
            except multiprocessing_timeout():
                self.alive()
        by_pid = {}
        for r in out:
            if r[4]:
                raise Fault("worker pid %d: %s" % (r[0], r[4]))
            by_pid[r[0]] = r
        return by_pid

    def alive(self):
        """A worker that died is replaced by the pool and its tasks are lost: a Fault."""
        if self.pids and sorted(p.pid for p in getattr(self.pool, "_pool", [])) != self.pids:
            raise Fault("a worker process of the pool exited (the pool replaced it; its tasks are lost)")

    def run(self, tasks):
        results = []
        c0, t0 = cpu_seconds(), clock()
        it = self.pool.imap_unordered(pool_task, range(tasks), self.chunk)
        chunks = self.chunk > 1
        if chunks:
            # With a chunksize, imap_unordered returns a generator flattening the chunks
            # of its IMapUnorderedIterator, which has no timeout: take that iterator (the
            # generator's one argument) and flatten here, looking at the workers while
            # waiting. Without it, the generator is read as it is.
            inner = getattr(it, "gi_frame", None) and it.gi_frame.f_locals.get(".0")
            if hasattr(inner, "next"):
                it = inner
            else:
                chunks = False
                results.extend(it)
        while len(results) < tasks:
            try:
                r = it.next(POLL)
            except multiprocessing_timeout():
                self.alive()
                continue
            except StopIteration:
                break
            if chunks:
                results.extend(r)
            else:
                results.append(r)
        t1, c1 = clock(), cpu_seconds()
        after = self.each()
        cpu, rss, metrics = c1 - c0, peak_rss(), {}
        for pid, r in after.items():
            cpu += r[1] - self.cpu.get(pid, r[1])
            rss = max(rss, r[2])
            for unit, v in r[3].items():
                if unit not in metrics:
                    metrics[unit] = v
                elif unit in ("p50-ns", "p99-ns"):
                    metrics[unit] = max(metrics[unit], v)
                else:
                    metrics[unit] += v
        self.cpu = dict((pid, r[1]) for pid, r in after.items())
        res = summary(results, t1 - t0, cpu, rss)
        res["metrics"] = metrics
        return res

    def close(self):
        self.pool.close()
        self.pool.join()

    def abort(self):
        self.pool.terminate()
        self.pool.join()


def multiprocessing_timeout():
    import multiprocessing
    return multiprocessing.TimeoutError


def summary(results, elapsed, cpu, rss):
    checksum, lat, err = 0, [], None
    for i, v, l, e in results:
        checksum += v
        lat.append(l)
        if e and err is None:
            err = "task %d: %s" % (i, e)
    res = {"ev": "batch", "elapsed_ns": int(elapsed * 1e9), "checksum": int64(checksum),
           "cpu_ns": int(cpu * 1e9), "maxrss": rss, "lat_ns": lat}
    if err:
        res["error"] = err
    return res


POOLS = {"seq": SeqPool, "threads": ThreadPool, "process": ProcessPool,
         "subinterp": SubinterpPool, "asyncio": AsyncioPool, "pool": MpPool}


# --- the commands ----------------------------------------------------------------------

def free_threaded():
    try:
        import sysconfig
        if not sysconfig.get_config_var("Py_GIL_DISABLED"):
            return False
    except Exception:
        return False
    return not getattr(sys, "_is_gil_enabled", lambda: True)()


def probe():
    info = {"protocol": PROTOCOL, "version": "%d.%d.%d" % sys.version_info[:3],
            "implementation": getattr(getattr(sys, "implementation", None), "name", "cpython"),
            "executable": sys.executable, "free_threaded": free_threaded(), "subinterp": "", "asyncio": False,
            "start_methods": ["fork"], "default_start": "fork"}
    try:
        import sysconfig
        info["gil_disabled_build"] = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    except Exception:
        info["gil_disabled_build"] = False
    if sys.version_info >= (3, 12):
        for name in ("concurrent.interpreters", "_interpreters", "_xxsubinterpreters"):
            try:
                __import__(name)
                info["subinterp"] = name
                break
            except ImportError:
                pass
    try:
        import asyncio
        info["asyncio"] = sys.version_info >= (3, 7) and bool(asyncio)
    except ImportError:
        pass
    try:
        import multiprocessing
        info["start_methods"] = multiprocessing.get_all_start_methods()
        info["default_start"] = multiprocessing.get_start_method()
    except (ImportError, AttributeError):
        pass
    print(json.dumps(info))


def check(path):
    """Load a workload file; say what it defines, or where it is wrong."""
    out = sys.stdout
    sys.stdout = sys.stderr  # the file's own prints are not the answer
    info = {}
    try:
        mod = load_module("gilbench_workload", path)
        task = getattr(mod, "task", None)
        if not callable(task):
            info["error"] = "%s:1: defines no function task(i, size)" % path
        else:
            code = getattr(task, "__code__", None) or getattr(task, "func_code", None)
            info["line"] = code.co_firstlineno if code else 0
            info["doc"] = (mod.__doc__ or "").strip()
            info["want"] = callable(getattr(mod, "want", None))
            info["atask"] = callable(getattr(mod, "atask", None))
            info["shared"] = bool(getattr(mod, "SHARED", None))
            for k in ("CLASS", "SIZE", "TASKS", "QUICK_SIZE", "QUICK_TASKS", "ONE_TASK_PER_WORKER"):
                if hasattr(mod, k):
                    info[k.lower()] = getattr(mod, k)
    except BaseException:
        info["error"] = current_error()
    sys.stdout = out
    print(json.dumps(info))


def want(path, size, tasks):
    """The reference results: the file's want(i, size) for every task, else its
    task(i, size) run one after the other in this one thread. One JSON list."""
    out = sys.stdout
    sys.stdout = sys.stderr
    conf = {"strategy": "seq", "params": {}, "path": path, "size": size,
            "support": os.path.dirname(os.path.abspath(__file__))}
    task, _, mod = setup(conf, None)
    setup(conf, make_shared(getattr(mod, "SHARED", {}), "seq", None))
    reset_shared(mod, {})
    f = getattr(mod, "want", None) or task
    vals = [int64(f(i, size)) for i in range(tasks)]
    sys.stdout = out
    print(json.dumps(vals))


class Protocol(object):
    def __init__(self):
        self.cmd = os.fdopen(3, "rb")
        self.ev = os.fdopen(4, "wb")

    def read(self):
        line = self.cmd.readline()
        if not line:
            return None
        return json.loads(line.decode("utf-8"))

    def send(self, **event):
        self.ev.write((json.dumps(event) + "\n").encode("utf-8"))
        self.ev.flush()


def serve():
    proto = Protocol()
    proto.send(ev="hello", protocol=PROTOCOL, pid=os.getpid(), version="%d.%d.%d" % sys.version_info[:3])
    conf = proto.read()
    if conf is None:
        return 0
    if "switch_interval" in conf and hasattr(sys, "setswitchinterval"):
        sys.setswitchinterval(conf["switch_interval"])
    if "check_interval" in conf and hasattr(sys, "setcheckinterval") and sys.version_info < (3,):
        sys.setcheckinterval(conf["check_interval"])
    pool = None
    try:
        task, atask, mod = setup(conf, None)
        skip = getattr(mod, "skip", None)
        reason = skip(conf["strategy"]) if callable(skip) else None
        if reason:
            raise Skip(reason)
        rss0, t0 = resident(), clock()  # the workers' start-up and memory: from here
        pool = POOLS[conf["strategy"]](conf, task, atask, mod)
        startup = clock() - t0
    except Skip as e:
        proto.send(ev="skip", reason=str(e))
        return 0
    except Fault as e:
        proto.send(ev="error", msg=str(e))
        return 1
    except BaseException:
        proto.send(ev="error", msg=current_error())
        return 1
    proto.send(ev="ready", pids=pool.pids, start=getattr(pool, "method", ""),
               startup_ns=int(startup * 1e9), rss0=rss0)
    while True:
        req = proto.read()
        if req is None or req.get("op") == "quit":
            break
        try:
            if req.get("op") != "batch":
                raise Fault("unknown command %r" % (req,))
            res = pool.batch(req["tasks"])
        except BaseException as e:
            # The workers may be anywhere (at the gate, in a task): end them, do not wait.
            proto.send(ev="error", msg=str(e) if isinstance(e, Fault) else current_error())
            pool.abort()
            return 1
        proto.send(**res)
    pool.close()
    proto.send(ev="bye")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "probe":
        probe()
        return 0
    if len(argv) >= 3 and argv[1] == "check":
        check(argv[2])
        return 0
    if len(argv) >= 5 and argv[1] == "want":
        want(argv[2], int(argv[3]), int(argv[4]))
        return 0
    if len(argv) >= 2 and argv[1] == "serve":
        return serve()
    print("usage: driver.py probe | check FILE | want FILE SIZE TASKS | serve", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
