"""What runs inside one sandboxed child: the sample's code against one set of tests.

The child reports on fd 3 (RESULT_FD), one frame per input or test, then a "done" frame. It never
receives an expected output (function calls, stdin/stdout cases): the judge compares afterwards.
Plain `assert` tests are the exception by nature: the expected values are written in the test code.

Everything this module needs after the sample's code has run (the writer, the encoder, the timer) is
bound before the code runs, so a sample that replaces builtins or module attributes can spoil only
its own outputs, and the judge decides pass or fail from those.
"""

import ast
import io
import json
import os
import signal
import sys
import threading
import time

import sra_protocol
import sra_rules
import sra_values

RESULT_FD = 3

_encode = sra_values.encode
_perf = time.perf_counter
_setitimer = signal.setitimer
_ITIMER_REAL = signal.ITIMER_REAL
_exit = os._exit
_describe_limit = 500


class TimeoutException(Exception):
    """A per-input time limit (raised by SIGALRM, as evalplus's time_limit does)."""


def _on_alarm(signum, frame):
    raise TimeoutException("Timed out!")


class _Report:
    """Frames for fd 3, written in batches: at most every FLUSH_SECONDS, before a slow call could be
    cut off by the deadline with little unsent, and at the end."""

    FLUSH_SECONDS = 0.02
    FLUSH_BYTES = 1 << 20

    def __init__(self):
        self.parts = []
        self.size = 0
        self.last = _perf()

    def add(self, header, blobs=()):
        data = _encode_frame(header, blobs)
        self.parts.append(data)
        self.size += len(data)
        if self.size >= self.FLUSH_BYTES or _perf() - self.last >= self.FLUSH_SECONDS:
            self.flush()

    def flush(self):
        if self.parts:
            _write_all(RESULT_FD, b"".join(self.parts))
            self.parts = []
            self.size = 0
        self.last = _perf()


_encode_frame = sra_protocol.encode_frame
_write_all = sra_protocol.write_all
_report = _Report()


def _emit(header, blobs=()):
    _report.add(header, blobs)


def describe(e):
    name = type(e).__name__
    if isinstance(e, SyntaxError):
        where = " (line %s)" % e.lineno if e.lineno else ""
        return "%s: %s%s" % (name, e.msg, where)
    try:
        text = BaseException.__str__(e)
    except BaseException:
        text = "?"
    text = "%s: %s" % (name, text) if text else name
    return text if len(text) <= _describe_limit else text[: _describe_limit - 3] + "..."


class _WriteOnly(io.StringIO):
    """sys.stdout/err/in while a function test runs, as evalplus's swallow_io: writes are kept up to a
    cap and dropped after it (printing gigabytes costs time, not memory), and reads raise."""

    def __init__(self, cap):
        super().__init__()
        self._cap = cap
        self._kept = 0
        self.dropped = 0

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        room = self._cap - self._kept
        if room > 0:
            super().write(s[:room])
            self._kept += min(len(s), room)
        if len(s) > room:
            self.dropped += len(s) - max(room, 0)
        return len(s)

    def read(self, *args, **kwargs):
        raise OSError("stdin is not available to this test")

    readline = read
    readlines = read

    def readable(self, *args, **kwargs):
        return False


def _swallow_io(cap=64 << 10):
    sink = _WriteOnly(cap)
    sys.stdout = sys.stderr = sys.stdin = sink
    return sink


def disable_destructive_functions():
    """evalplus's reliability_guard (evalplus/eval/utils.py), which the original HumanEval harness has
    too: the same functions are set to None, so a sample that calls one fails as it would there. The
    sandbox does not rely on this: the OS limits and namespaces contain the process."""
    import builtins
    import shutil
    import subprocess

    import faulthandler

    faulthandler.disable()
    builtins.exit = None
    builtins.quit = None
    builtins.open = None
    builtins.help = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
                 "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod",
                 "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir"):
        if hasattr(os, name):
            setattr(os, name, None)
    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    subprocess.Popen = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


def _compile(code, name):
    return compile(code, name, "exec", dont_inherit=True)


def _run_module(req, code):
    """Guard (when asked), swallow stdio, exec the sample: its namespace, or None after reporting why."""
    namespace = {}
    if req.get("guard", True):
        disable_destructive_functions()
    _swallow_io()
    try:
        exec(_compile(code, "<solution>"), namespace)
    except BaseException as e:
        _setitimer(_ITIMER_REAL, 0)
        _emit({"k": "error", "stage": "exec", "error": describe(e)})
        return None
    return namespace


# --------------------------------------------------------------------- function calls


def _entry(namespace, name, cls_hint):
    if cls_hint and "Solution" in namespace and isinstance(namespace["Solution"], type):
        return getattr(namespace["Solution"](), name)
    return namespace[name]


def run_function(req, blobs):
    code = blobs[0].decode("utf-8", "replace")
    inputs = json.loads(blobs[1]) if len(blobs) > 1 else []
    limits = req.get("time_limits") or []
    default_limit = float(req.get("time_limit", 4.0))
    rule = req.get("inputs_rule")
    # MBPP's regex tasks return re.Match objects: evalplus grades them on "returned something".
    not_none = None
    if req.get("oracle") == "mbpp" and req["entry_point"] in sra_rules.MBPP_NOT_NONE:
        not_none = "expected" if req.get("record") else "sample"
    keep = int(req.get("keep", sra_values.INLINE_LIMIT))
    scan_nan = bool(req.get("record"))
    namespace = _run_module(req, code)
    if namespace is None:
        return
    try:
        fn = _entry(namespace, req["entry_point"], req.get("solution_class", False))
    except BaseException as e:
        _emit({"k": "error", "stage": "entry", "error": "no function %r: %s" % (req["entry_point"], describe(e))})
        return
    call_arguments = sra_rules.call_arguments
    for i, raw_args in enumerate(inputs):
        limit = float(limits[i]) if i < len(limits) else default_limit
        try:
            args = call_arguments(rule, raw_args)
            start = _perf()
            _setitimer(_ITIMER_REAL, limit)
            out = fn(*args)
            _setitimer(_ITIMER_REAL, 0)
            elapsed = _perf() - start
        except BaseException as e:
            _setitimer(_ITIMER_REAL, 0)
            timed_out = isinstance(e, TimeoutException)
            _emit({"k": "exc", "i": i, "error": describe(e), "timeout": timed_out, "limit": limit})
            return
        if not_none == "expected":
            out = out is not None
        elif not_none == "sample" and not isinstance(out, bool):
            out = out is not None
        try:
            enc = _encode(out, keep=keep, scan_nan=scan_nan)
        except BaseException as e:
            _emit({"k": "exc", "i": i, "error": "the returned value cannot be encoded: " + describe(e)})
            return
        header = {"k": "out", "i": i, "t": elapsed, "e": enc.kind, "size": enc.size, "d": enc.digest}
        if scan_nan:
            header["nan"] = enc.nan
        _emit(header, [enc.data] if enc.data is not None else ())


# --------------------------------------------------------------------- assert lines


def _check_body(setup_ns, check_name, entry_point, setup):
    """The statements of HumanEval's `def check(candidate): ...`, each a test of its own."""
    tree = ast.parse(setup)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == check_name and node.args.args:
            param = node.args.args[0].arg
            tests = [ast.get_source_segment(setup, stmt) or ast.unparse(stmt) for stmt in node.body]
            return param, tests
    raise LookupError("the tests define no function %r" % check_name)


def _compare_parts(source, namespace):
    """For `assert left == right`, the two sides as text (for the report), evaluated again."""
    try:
        node = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return None
    if not isinstance(node, ast.Assert) or not isinstance(node.test, ast.Compare):
        return None
    cmp = node.test
    if len(cmp.ops) != 1 or not isinstance(cmp.ops[0], ast.Eq):
        return None
    try:
        _setitimer(_ITIMER_REAL, 1.0)
        left = eval(compile(ast.Expression(cmp.left), "<test>", "eval"), namespace)
        right = eval(compile(ast.Expression(cmp.comparators[0]), "<test>", "eval"), namespace)
        _setitimer(_ITIMER_REAL, 0)
    except BaseException:
        _setitimer(_ITIMER_REAL, 0)
        return None
    return sra_values.short_repr(left), sra_values.short_repr(right)


def run_asserts(req, blobs):
    code = blobs[0].decode("utf-8", "replace")
    setup = blobs[1].decode("utf-8", "replace") if len(blobs) > 1 else ""
    tests = json.loads(blobs[2]) if len(blobs) > 2 else []
    limit = float(req.get("time_limit", 4.0))
    namespace = _run_module(req, code)
    if namespace is None:
        return
    try:
        if setup:
            exec(_compile(setup, "<tests>"), namespace)
        check = req.get("check_function")
        if check:
            param, tests = _check_body(namespace, check, req["entry_point"], setup)
            namespace[param] = namespace[req["entry_point"]]
    except BaseException as e:
        _emit({"k": "error", "stage": "setup", "error": describe(e)})
        return
    _emit({"k": "tests", "n": len(tests)})
    for i, source in enumerate(tests):
        try:
            compiled = _compile(source, "<test %d>" % (i + 1))
            _setitimer(_ITIMER_REAL, limit)
            exec(compiled, namespace)
            _setitimer(_ITIMER_REAL, 0)
        except BaseException as e:
            _setitimer(_ITIMER_REAL, 0)
            header = {"k": "test", "i": i, "ok": False, "error": describe(e), "source": source[:500],
                      "timeout": isinstance(e, TimeoutException)}
            if isinstance(e, AssertionError):
                parts = _compare_parts(source, namespace)
                if parts:
                    header["actual"], header["expected"] = parts
            _emit(header)
            continue
        _emit({"k": "test", "i": i, "ok": True})


# --------------------------------------------------------------------- stdin/stdout programs


def _point_fd(fd, path, flags):
    new = os.open(path, flags, 0o600)
    if new != fd:  # the program may have closed fd 0 (open(0) does when collected): then new is 0
        os.dup2(new, fd)
        os.close(new)


def _join_threads(before, deadline):
    for t in threading.enumerate():
        if t in before or t is threading.current_thread() or t.daemon:
            continue
        remaining = deadline - _perf()
        if remaining <= 0:
            raise TimeoutException("Timed out!")
        t.join(remaining)


def _stdio_case(code, text, limit):
    with open("stdin.txt", "w", encoding="utf-8") as f:
        f.write(text)
    _point_fd(0, "stdin.txt", os.O_RDONLY)
    _point_fd(1, "stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="replace")
    error = None
    before = set(threading.enumerate())
    start = _perf()
    try:
        _setitimer(_ITIMER_REAL, limit)
        try:
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
        except SystemExit:
            pass
        _join_threads(before, start + limit)
        sys.stdout.flush()
        _setitimer(_ITIMER_REAL, 0)
    except BaseException as e:
        _setitimer(_ITIMER_REAL, 0)
        error = e
    elapsed = _perf() - start
    with open("stdout.txt", "rb") as f:
        out = f.read()
    return out, error, elapsed


def run_stdio(req, blobs):
    source = blobs[0].decode("utf-8", "replace")
    cases = json.loads(blobs[1]) if len(blobs) > 1 else []
    limit = float(req.get("time_limit", 4.0))
    try:
        code = _compile(source, "<solution>")
    except BaseException as e:
        _emit({"k": "error", "stage": "exec", "error": describe(e)})
        return
    _emit({"k": "tests", "n": len(cases)})
    for i, case in enumerate(cases):
        out, error, elapsed = _stdio_case(code, sra_rules.stdio_text(case), limit)
        header = {"k": "case", "i": i, "t": elapsed}
        if error is not None:
            header["error"] = describe(error)
            header["timeout"] = isinstance(error, TimeoutException)
        _emit(header, [out])


# --------------------------------------------------------------------- compile only


def run_compile(req, blobs):
    source = blobs[0].decode("utf-8", "replace")
    try:
        _compile(source, "<solution>")
    except SyntaxError as e:
        _emit({"k": "error", "stage": "compile", "error": describe(e), "line": e.lineno, "offset": e.offset})
        return
    except BaseException as e:
        _emit({"k": "error", "stage": "compile", "error": describe(e)})
        return
    _emit({"k": "compiled"})


KINDS = {"function": run_function, "asserts": run_asserts, "stdio": run_stdio, "compile": run_compile}


def run(req, blobs):
    """Run one check and end the process; never returns."""
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        KINDS[req["kind"]](req, blobs)
        _emit({"k": "done"})
    except BaseException as e:  # a harness fault, or a sample that broke the writer itself
        try:
            _emit({"k": "error", "stage": "harness", "error": describe(e)})
        except BaseException:
            pass
    try:
        _report.flush()
    finally:
        _exit(0)
