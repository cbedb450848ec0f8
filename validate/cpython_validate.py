# The CPython side of gilbench validate: the experiments of validate/experiments.go
# written in Python, for Python 2.7 and 3.x alike, with the standard library only.
#
#   python cpython_validate.py KIND --reps R [--OPTION VALUE ...]
#
# KIND is cpu (--workload countdown|primes), sleep, http (--url), subinterp
# (CPython >= 3.13), convoy (--host, --port of gilbench's echo peer), asyncio-cpu
# (--workload) or asyncio-sleep (CPython 3.7+). --threads lists the thread counts (for
# convoy: the CPU-bound threads beside it; for asyncio: the coroutines), --tasks and --size
# are the job count and the size of one job, --interval sets sys.setswitchinterval.
# Each configuration is warmed up once, then the repetitions run round-robin over the
# thread counts. The last line printed is one JSON object: per thread count, a list of
# measurements (elapsed seconds, or round trips per second for convoy).
from __future__ import print_function
import json, socket, sys, threading, time
try:
    import queue
except ImportError:
    import Queue as queue

# opts reads '--key value' pairs into a dict of strings.
def opts(argv):
    o = {}
    for i in range(0, len(argv), 2):
        o[argv[i].lstrip('-')] = argv[i + 1]
    return o

# The workloads, as gilbench's countdown, primes and sleep compute them.
def countdown(i, size):
    n = size
    while n > 0:
        n -= 1
    return i

def primes(i, size):
    n = 1000000 + (i % 64) * size
    hi = n + size
    count = 0
    while n < hi:
        if n < 2:
            p = 0
        elif n < 4:
            p = 1
        elif n % 2 == 0:
            p = 0
        else:
            p = 1
            d = 3
            while d * d <= n:
                if n % d == 0:
                    p = 0
                    break
                d += 2
        count += p
        n += 1
    return count

def sleeper(i, size):
    time.sleep(size / 1e6)
    return i

# pool runs tasks jobs on nthreads threads and returns the elapsed seconds.
def pool(task, tasks, size, nthreads):
    # One job queue for all threads, as gilbench's pool.
    jobs = queue.Queue()
    for i in range(tasks):
        jobs.put(i)
    def worker():
        while True:
            try:
                i = jobs.get_nowait()
            except queue.Empty:
                return
            task(i, size)
    ts = [threading.Thread(target=worker) for _ in range(nthreads)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.time() - t0

# http_task returns a task making size GET requests on its thread's own connection.
def http_task(url):
    try:
        import http.client as httplib
        from urllib.parse import urlparse
    except ImportError:
        import httplib
        from urlparse import urlparse
    u = urlparse(url)
    local = threading.local()
    def task(i, size):
        c = getattr(local, 'c', None)
        if c is None:
            c = local.c = httplib.HTTPConnection(u.hostname, u.port, timeout=10)
        for k in range(size):
            c.request('GET', '%s?x=%d' % (u.path, i * size + k))
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError('HTTP %d' % r.status)
        return i
    return task

# ASYNC is the event-loop pool, compiled only when asked for (async def is a syntax
# error in Python 2): ncoros coroutines of one loop take jobs from one asyncio.Queue,
# filled before the timer starts, as gilbench's asyncio mode; get_nowait and the CPU
# task never suspend, the sleep task awaits asyncio.sleep.
ASYNC = """
import asyncio
def apool(task, tasks, size, ncoros):
    async def main():
        jobs = asyncio.Queue()
        for i in range(tasks):
            jobs.put_nowait(i)
        async def worker():
            while True:
                try:
                    i = jobs.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if task is None:
                    await asyncio.sleep(size / 1e6)
                else:
                    task(i, size)
        t0 = time.time()
        await asyncio.gather(*[worker() for _ in range(ncoros)])
        return time.time() - t0
    return asyncio.run(main())
"""

def apool(task, tasks, size, ncoros):
    env = {'time': time}
    exec(ASYNC, env)
    return env['apool'](task, tasks, size, ncoros)

# timed measures a task at each thread count (kinds cpu, sleep, http, and the asyncio
# kinds with run=apool).
def timed(o, task, run=pool):
    reps, tasks, size = int(o['reps']), int(o['tasks']), int(o['size'])
    threads = [int(x) for x in o['threads'].split(',')]
    if 'interval' in o:
        sys.setswitchinterval(float(o['interval']))
    run(task, min(tasks, 4), min(size, 1000), max(threads))  # warm up
    res = dict((str(n), []) for n in threads)
    for _ in range(reps):
        for n in threads:
            res[str(n)].append(run(task, tasks, size, n))
    return res

# subinterp runs countdown in k isolated interpreters, one thread each, at each k.
def subinterp(o):
    import _interpreters
    reps, tasks, size = int(o['reps']), int(o['tasks']), int(o['size'])
    threads = [int(x) for x in o['threads'].split(',')]
    cfg = _interpreters.new_config('isolated')
    interps = [_interpreters.create(cfg) for _ in range(max(threads))]
    run_in = getattr(_interpreters, 'exec')  # a keyword in Python 2
    def run(k):
        code = 'for _ in range(%d):\n    n = %d\n    while n > 0:\n        n -= 1\n' % (tasks // k, size)
        ts = [threading.Thread(target=run_in, args=(interps[j], code)) for j in range(k)]
        t0 = time.time()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return time.time() - t0
    res = dict((str(n), []) for n in threads)
    for n in threads:
        run(n)  # warm up
    for _ in range(reps):
        for n in threads:
            res[str(n)].append(run(n))
    return res

# convoy counts echo round trips per second beside k CPU-bound threads, at each k.
def convoy(o):
    reps, dur = int(o['reps']), int(o['size']) / 1000.0
    ks = [int(x) for x in o['threads'].split(',')]
    if 'interval' in o:
        sys.setswitchinterval(float(o['interval']))
    def once(k):
        state = {'done': False}
        def spin():
            while not state['done']:
                n = 200
                while n > 0:
                    n -= 1
        ts = [threading.Thread(target=spin) for _ in range(k)]
        for t in ts:
            t.start()
        c = socket.create_connection((o['host'], int(o['port'])), 10)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        time.sleep(0.02)  # let the spinners start
        msg = b'0123456789abcdef'
        n = 0
        t0 = time.time()
        end = t0 + dur
        while True:
            c.sendall(msg)
            got = b''
            while len(got) < 16:
                b = c.recv(16 - len(got))
                if not b:
                    raise RuntimeError('echo peer closed')
                got += b
            n += 1
            now = time.time()
            if now >= end:
                break
        state['done'] = True
        for t in ts:
            t.join()
        c.close()
        return n / (now - t0)
    res = dict((str(k), []) for k in ks)
    for k in ks:
        once(k)  # warm up
    for _ in range(reps):
        for k in ks:
            res[str(k)].append(once(k))
    return res

def main():
    kind, o = sys.argv[1], opts(sys.argv[2:])
    if kind == 'cpu':
        res = timed(o, {'countdown': countdown, 'primes': primes}[o['workload']])
    elif kind == 'sleep':
        res = timed(o, sleeper)
    elif kind == 'http':
        res = timed(o, http_task(o['url']))
    elif kind == 'subinterp':
        res = subinterp(o)
    elif kind == 'convoy':
        res = convoy(o)
    elif kind == 'asyncio-cpu':
        res = timed(o, {'countdown': countdown, 'primes': primes}[o['workload']], apool)
    elif kind == 'asyncio-sleep':
        res = timed(o, None, apool)
    else:
        raise SystemExit('unknown experiment ' + kind)
    print(json.dumps(res))

main()
