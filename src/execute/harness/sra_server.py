"""The executor process ("zygote"): started once per worker, it imports everything a check needs, sets
up the sandbox, then forks one child per check and watches it.

A request is a frame {kind, deadline, ...} with the code and the test inputs as blobs; the reply is a
frame {end, exit, seconds, stdout, ...} with the child's raw report stream as its blob. `end` is
"done" (the child reported to the end), "timeout" (the wall-clock deadline passed: the whole process
group is killed), "exited" (the child ended without finishing its report: os._exit, a crash, a
signal), or "overflow" (it reported more than MAX_REPORT bytes).
"""

import gc
import json
import os
import select
import signal
import sys
import time

import sra_child
import sra_protocol
import sra_sandbox

MAX_REPORT = 512 << 20
OUTPUT_KEPT = 64 << 10
_POLL = 0.02


def _preload():
    """Modules a sample is likely to import, loaded once here so each check starts with them warm.
    numpy is among them, as in evalplus's own checking processes."""
    import bisect, collections, copy, decimal, fractions, functools, hashlib, heapq, itertools  # noqa
    import math, operator, random, re, statistics, string, typing  # noqa
    import faulthandler, shutil, subprocess, threading  # noqa: the guard and the stdio runner use them
    try:
        import numpy  # noqa: F401
        return numpy.__version__
    except Exception:
        return None


class Watch:
    def __init__(self, pid, result_fd, output_fd, deadline):
        self.pid = pid
        self.fds = {result_fd: "result", output_fd: "output"}
        self.report = bytearray()
        self.output = bytearray()
        self.output_bytes = 0
        self.deadline = deadline
        self.end = None
        self.status = None

    def _read(self, fd):
        try:
            data = os.read(fd, 1 << 20)
        except OSError:
            data = b""
        if not data:
            os.close(fd)
            del self.fds[fd]
            return
        if self.fds[fd] == "output":
            self.output_bytes += len(data)
            room = OUTPUT_KEPT - len(self.output)
            if room > 0:
                self.output += data[:room]
            return
        self.report += data
        if len(self.report) > MAX_REPORT:
            self.end = "overflow"
        elif self.report.endswith(sra_protocol.DONE):
            # A frame's blob never ends so (a pickle ends in "."); the judge checks the framing.
            self.end = "done"

    def run(self):
        while self.end is None:
            now = time.monotonic()
            if now >= self.deadline:
                self.end = "timeout"
                break
            if not self.fds:
                self.end = "exited"
                break
            ready, _, _ = select.select(list(self.fds), [], [], min(_POLL, self.deadline - now))
            for fd in ready:
                if fd in self.fds and self.end is None:
                    self._read(fd)
            if self.end is None and self.status is None:
                got, st = os.waitpid(self.pid, os.WNOHANG)
                if got == self.pid:
                    self.status = st
                    self._drain()
                    if self.end is None:
                        self.end = "exited"
        for fd in list(self.fds):
            os.close(fd)

    def _drain(self):
        """After the child is gone, read what it left in the pipes (a grandchild may hold them open)."""
        while self.fds and self.end is None:
            ready, _, _ = select.select(list(self.fds), [], [], 0)
            if not ready:
                return
            for fd in ready:
                if fd in self.fds:
                    self._read(fd)


def run_check(sandbox, req, blobs):
    workdir = sandbox.workdir()
    result_r, result_w = os.pipe()
    output_r, output_w = os.pipe()
    started = time.monotonic()
    deadline_s = float(req.get("deadline", 10.0))
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(result_r)
            os.close(output_r)
            sandbox.enter_child(workdir, result_w, output_w, deadline_s)
            sra_child.run(req, blobs)
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(70)
    os.close(result_w)
    os.close(output_w)
    watch = Watch(pid, result_r, output_r, started + deadline_s)
    watch.run()
    seconds = time.monotonic() - started
    status = sandbox.clean_up(pid, workdir)
    if watch.status is None:
        watch.status = status
    header = {
        "end": watch.end,
        "seconds": seconds,
        "exit": sra_sandbox.describe_status(watch.status),
        "stdout": watch.output.decode("utf-8", "replace"),
        "stdout_bytes": watch.output_bytes,
    }
    return header, bytes(watch.report)


def _harness_fd(main):
    """An inheritable fd of the harness's directory when the sandbox's private /tmp would hide it (a
    checkout or an install under /tmp): after the mounts, /proc/self/fd/N still reaches it."""
    if not any(main.startswith(t + os.sep) for t in sra_sandbox.PRIVATE_TMP):
        return None
    fd = os.open(os.path.dirname(main), os.O_RDONLY | os.O_DIRECTORY)
    os.set_inheritable(fd, True)  # children never see it: enter_child closes every fd above 3
    return fd


def serve(options):
    sandbox = sra_sandbox.Sandbox(options)
    main = os.path.abspath(sys.argv[0])
    here_fd = _harness_fd(main) if options.get("resumed") is None else None
    report = sandbox.setup(allow_namespaces=options.get("namespaces", True), resumed=options.get("resumed"))
    if options.get("resumed") is None:
        exe = sandbox.remap_interpreter(sys.executable, sys.prefix)
        if exe is not None:
            again = dict(options, resumed=report)
            if here_fd is not None:
                main = "/proc/self/fd/%d/%s" % (here_fd, os.path.basename(main))
            os.execv(exe, [exe, "-s", "-B", main, "serve", json.dumps(again)])
        if here_fd is not None:
            os.close(here_fd)
    numpy_version = _preload()
    # Everything loaded so far is never collected: the children's garbage collector skips it, and
    # their pages stay shared with ours instead of being copied when the collector touches them.
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # sra decides when we stop (it closes our stdin)
    sra_protocol.write_frame(1, {"ready": True, "pid": os.getpid(), "sandbox": report, "python": sys.version.split()[0],
                                 "numpy": numpy_version})
    while True:
        frame = sra_protocol.read_frame(0)
        if frame is None:
            return
        req, blobs = frame
        header, stream = run_check(sandbox, req, blobs)
        header["id"] = req.get("id")
        sra_protocol.write_frame(1, header, [stream])
