"""The judge: a trusted process that turns a child's report into a verdict.

It is the only process that holds expected outputs; it never runs a sample's code. A request names
the rules ("evalplus", "apps-call", "apps-stdio", "asserts", "compile") and carries the child's report
stream, the expected values (inline, or a reference into the expected-outputs cache) and, when a
rule reads them, the test inputs. Any fault while comparing (an exception, a comparison that takes
too long) is a failed input, as an exception inside evalplus's comparison is.
"""

import json
import signal
import zlib

import sra_protocol
import sra_rules
import sra_values

COMPARE_SECONDS = 30


class _CompareTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _CompareTimeout()


def _frames(stream):
    scanner = sra_protocol.FrameScanner()
    scanner.feed(stream)
    return [(h, [stream[a:b] for a, b in spans]) for h, spans in scanner.frames]


class Verdict:
    def __init__(self, total):
        self.total = total
        self.passed = 0
        self.failure = None
        self.status = None
        self.rerun = False

    def fail(self, reason, index=None, **details):
        if self.failure is None:
            self.failure = {"index": index, "reason": reason}
            self.failure.update({k: v for k, v in details.items() if v is not None})

    def as_dict(self):
        status = self.status or ("fail" if self.failure else "pass")
        return {"status": status, "passed": self.passed, "total": self.total, "failure": self.failure,
                "rerun": self.rerun}


def _end_reason(req):
    end = req.get("end")
    ex = req.get("exit") or {}
    if end == "overflow":
        return "the sample reported more than the executor keeps (output too large)"
    if "signal" in ex:
        return "the process was killed by %s before it finished" % ex["signal"]
    if "code" in ex:
        return "the process exited with status %d before it finished" % ex["code"]
    return "the process ended before it finished"


def _finish_incomplete(v, req, index):
    """The child stopped reporting before the last test: timeout, or an early exit (a fail)."""
    if v.failure is not None:
        return
    if req.get("end") == "timeout":
        v.status = "timeout"
        v.fail("no report within %.1f s (the whole check's limit)" % req.get("deadline", 0), index)
    else:
        v.fail(_end_reason(req), index)


def _setup_error(v, frames):
    for h, _ in frames:
        if h.get("k") == "error":
            v.fail("%s failed: %s" % ({"exec": "running the code", "entry": "finding the function",
                                       "setup": "running the test setup", "compile": "compiling",
                                       "harness": "the harness"}.get(h.get("stage"), h.get("stage")),
                                      h.get("error")), error=h.get("error"), line=h.get("line"))
            return True
    return False


def _in_order(v, frames, kinds, count, what):
    """The report's records of the given kinds, checked to come one per index from 0; a record out of
    order (a child that forged its report) ends the walk with a failure."""
    want = 0
    for h, parts in frames:
        if h.get("k") not in kinds:
            continue
        i = h.get("i")
        if i != want or i >= count:
            v.fail("the report is malformed (%s %r out of order)" % (what, i), i)
            return
        want += 1
        yield i, h, parts


class Expected:
    """One expected output: metadata, and its bytes inline or in the cache file (read on demand)."""

    def __init__(self, meta, blobs):
        self.meta = meta
        self._blobs = blobs
        self._value = None
        self._loaded = False

    @property
    def kind(self):
        return self.meta.get("e", "p")

    def data(self):
        m = self.meta
        if "b" in m:
            return self._blobs[m["b"]]
        ref = m.get("file")
        if not ref:
            return None
        with open(ref["path"], "rb") as f:
            f.seek(ref["off"])
            raw = f.read(ref["len"])
        return zlib.decompress(raw) if ref.get("z") else raw

    def value(self):
        if not self._loaded:
            data = self.data()
            self._value = sra_values.decode(self.kind, data) if data is not None else None
            self._loaded = True
        return self._value


def _plain_equal(h, blob, exp):
    """Same bytes (or digest, for outputs too large to ship) as a NaN-free plain expected value."""
    if exp.kind != "p" or exp.meta.get("nan") or h.get("e") != "p":
        return False
    if h.get("d") != exp.meta.get("d") or h.get("size") != exp.meta.get("size"):
        return False
    if blob is None:
        return True
    data = exp.data()
    return data is None or blob == data


def judge_evalplus(req, blobs):
    frames = _frames(blobs[0])
    expected = [Expected(m, blobs) for m in req["expected"]]
    inputs = None
    atol = float(req.get("atol") or 0)
    oracle, entry = req.get("oracle"), req.get("entry_point")
    v = Verdict(len(expected))
    if _setup_error(v, frames):
        return v
    seen = 0
    for i, h, parts in _in_order(v, frames, ("out", "exc"), len(expected), "input"):
        seen = i + 1
        if h.get("k") == "exc":
            reason = ("time limit exceeded (%.1f s)" % h.get("limit", 0)) if h.get("timeout") else "raised an exception"
            v.fail(reason, i, error=h.get("error"), input=_input_repr(req, blobs, i))
            return v
        blob = parts[0] if parts else None
        exp = expected[i]
        if _plain_equal(h, blob, exp):
            v.passed += 1
            continue
        if blob is None:
            if h.get("size", 0) > sra_values.INLINE_LIMIT and not req.get("shipped_big"):
                v.rerun = True  # ask for the bytes: they may still pass by evalplus's tolerant rules
                return v
            v.fail("the output (%d bytes) differs from the expected one and is too large to compare "
                   "by the tolerant rules" % h.get("size", 0), i, input=_input_repr(req, blobs, i))
            return v
        if exp.data() is None:
            v.fail("the output differs from the expected one, which is too large to keep; compared exactly",
                   i, input=_input_repr(req, blobs, i))
            return v
        if inputs is None and sra_rules.needs_inputs(oracle, entry):
            inputs = json.loads(blobs[req["inputs_blob"]])
        ok, out = _compare(h, blob, exp, inputs, i, atol, oracle, entry, req)
        if not ok:
            v.fail("wrong output", i, input=_input_repr(req, blobs, i), expected=sra_values.short_repr(exp.value()),
                   actual=sra_values.short_repr(out))
            return v
        v.passed += 1
    if v.failure is None and seen < len(expected):
        _finish_incomplete(v, req, seen)
    return v


def _compare(h, blob, exp, inputs, i, atol, oracle, entry, req):
    out = None
    try:
        signal.alarm(COMPARE_SECONDS)
        out = sra_values.decode(h.get("e", "p"), blob)
        inp = sra_rules.call_arguments(req.get("inputs_rule"), inputs[i]) if inputs is not None else None
        ok = sra_rules.evalplus_match(inp, out, exp.value(), atol, oracle, entry)
    except BaseException:
        ok = False
    finally:
        signal.alarm(0)
    return ok, out


def _input_repr(req, blobs, i):
    idx = req.get("inputs_blob")
    if idx is None:
        return None
    cache = req.setdefault("_inputs", {})
    if "v" not in cache:
        try:
            cache["v"] = json.loads(blobs[idx])
        except ValueError:
            cache["v"] = None
    values = cache["v"]
    if not isinstance(values, list) or i >= len(values):
        return None
    return sra_values.short_repr(values[i])


def judge_asserts(req, blobs):
    frames = _frames(blobs[0])
    v = Verdict(int(req.get("n_tests", 0)))
    if _setup_error(v, frames):
        return v
    seen = 0
    for h, _ in frames:
        k = h.get("k")
        if k == "tests":
            v.total = int(h.get("n", v.total))
        elif k == "test":
            if h.get("i") != seen:
                v.fail("the report is malformed (test %r out of order)" % (h.get("i"),), h.get("i"))
                return v
            seen += 1
            if h.get("ok"):
                v.passed += 1
            else:
                reason = "time limit exceeded" if h.get("timeout") else "test failed"
                v.fail(reason, h.get("i"), error=h.get("error"), test=h.get("source"),
                       expected=h.get("expected"), actual=h.get("actual"))
    if seen < v.total:
        _finish_incomplete(v, req, seen)
    return v


def judge_apps(req, blobs):
    frames = _frames(blobs[0])
    expected = json.loads(blobs[1])
    stdio = req["rules"] == "apps-stdio"
    v = Verdict(len(expected))
    if _setup_error(v, frames):
        return v
    seen = 0
    for i, h, parts in _in_order(v, frames, ("case", "out", "exc"), len(expected), "case"):
        seen = i + 1
        k = h.get("k")
        if h.get("error") is not None and (k == "exc" or stdio):
            reason = "time limit exceeded" if h.get("timeout") else "raised an exception"
            v.fail(reason, i, error=h.get("error"))
            if k == "exc":
                break
            continue
        ok, actual = _apps_case(stdio, h, parts, expected[i])
        if ok:
            v.passed += 1
        else:
            v.fail("wrong output", i, expected=sra_values.short_repr(expected[i]), actual=actual)
    if seen < v.total and not (v.failure and v.failure.get("reason") == "raised an exception" and not stdio):
        _finish_incomplete(v, req, seen)
    return v


def _apps_case(stdio, h, parts, expected):
    blob = parts[0] if parts else b""
    try:
        signal.alarm(COMPARE_SECONDS)
        if stdio:
            text = blob.decode("utf-8", "replace")
            return sra_rules.stdout_match(text, sra_rules.stdio_text(expected)), sra_values.short_repr(text)
        out = sra_values.decode(h.get("e", "p"), blob)
        return sra_rules.apps_call_match(out, expected), sra_values.short_repr(out)
    except BaseException as e:
        return False, "<cannot compare: %s>" % type(e).__name__
    finally:
        signal.alarm(0)


def judge_compile(req, blobs):
    frames = _frames(blobs[0])
    v = Verdict(1)
    if _setup_error(v, frames):
        return v
    if any(h.get("k") == "compiled" for h, _ in frames):
        v.passed = 1
    else:
        _finish_incomplete(v, req, 0)
    return v


RULES = {"evalplus": judge_evalplus, "asserts": judge_asserts, "apps-call": judge_apps,
         "apps-stdio": judge_apps, "compile": judge_compile}


def serve(options):
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sra_protocol.write_frame(1, {"ready": True, "numpy": sra_rules._np is not None})
    while True:
        frame = sra_protocol.read_frame(0)
        if frame is None:
            return
        req, blobs = frame
        try:
            verdict = RULES[req["rules"]](req, blobs).as_dict()
        except BaseException as e:
            verdict = {"status": "fail", "passed": 0, "total": 0, "rerun": False,
                       "failure": {"index": None, "reason": "the judge could not read the report: %s: %s" % (type(e).__name__, e)}}
        verdict["id"] = req.get("id")
        sra_protocol.write_frame(1, verdict)
