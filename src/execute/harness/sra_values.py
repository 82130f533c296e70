"""Values across the sandbox wall.

A sandboxed child never sees an expected output, so it cannot copy one; it sends what its function
returned, and the judge (a separate, trusted process) compares. Returned values travel as pickles in
"fast" mode (no memo, so the bytes depend only on the value and its exact types, not on which
objects happen to be shared). A Pickler hook stops at the first object that is not a plain builtin
(a subclass, a custom class, a generator, a numpy array): such values are re-encoded as a "surrogate",
a tagged tree built without calling any method the sample could have overridden, and rebuilt by the
judge with stand-in classes of the same names. The judge unpickles with a whitelist of two globals, so
a child that forges bytes can forge a value, never run code.

Equal plain pickles mean equal values of identical types (unless a NaN is inside), so the judge
compares bytes first and only unpickles on a mismatch. Each encoding also has a blake2b digest: for
an output too large to ship (over INLINE_LIMIT) the child compares digests itself.
"""

import collections
import decimal
import fractions
import hashlib
import io
import pickle
import re
import struct

INLINE_LIMIT = 1 << 20
PROTOCOL = 4
_DIGEST_SIZE = 16
_PICKLE_BASES = (complex, bytearray)
# A plain-pickled float is opcode 'G' and 8 big-endian bytes; NaN has all exponent bits set and a
# non-zero mantissa. Matching the pattern inside string data too only makes the check conservative.
_NAN_CANDIDATE = re.compile(rb"G[\x7f\xff][\xf0-\xff]")
_DOUBLE = struct.Struct(">d")


class NotPlain(Exception):
    pass


class TooLarge(Exception):
    pass


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        t = type(obj)
        if t in _PICKLE_BASES or (t is type and obj in _PICKLE_BASES):
            return NotImplemented
        raise NotPlain(t)


def _has_nan(data, carry=b""):
    chunk = carry + data
    for m in _NAN_CANDIDATE.finditer(chunk):
        raw = chunk[m.start() + 1 : m.start() + 9]
        if len(raw) == 8:
            value = _DOUBLE.unpack(raw)[0]
            if value != value:
                return True
    return False


class _Sink:
    """Hashes and counts what the pickler writes; keeps the bytes while they fit in `keep`."""

    __slots__ = ("hash", "size", "parts", "keep", "nan", "tail", "scan")

    def __init__(self, keep, scan_nan):
        self.hash = hashlib.blake2b(digest_size=_DIGEST_SIZE)
        self.size = 0
        self.parts = []
        self.keep = keep
        self.nan = False
        self.tail = b""
        self.scan = scan_nan

    def write(self, data):
        self.hash.update(data)
        self.size += len(data)
        if self.parts is not None:
            if self.size <= self.keep:
                self.parts.append(bytes(data))
            else:
                self.parts = None
        if self.scan and not self.nan:
            self.nan = _has_nan(bytes(data), self.tail)
            self.tail = bytes(data[-9:])
        return len(data)


class Encoded:
    __slots__ = ("kind", "size", "digest", "data", "nan")

    def __init__(self, kind, size, digest, data, nan):
        self.kind = kind  # "p" plain pickle, "s" surrogate pickle
        self.size = size
        self.digest = digest
        self.data = data  # the bytes, or None when larger than the keep limit
        self.nan = nan


def _dump(value, keep, scan_nan, pickler_class):
    sink = _Sink(keep, scan_nan)
    p = pickler_class(sink, protocol=PROTOCOL)
    p.fast = True
    p.dump(value)
    data = b"".join(sink.parts) if sink.parts is not None else None
    return sink, data


def encode(value, keep=INLINE_LIMIT, scan_nan=False):
    """Encode one returned value; `keep` bounds the bytes held in memory (the digest covers all)."""
    try:
        sink, data = _dump(value, keep, scan_nan, _Pickler)
        kind = "p"
    except (NotPlain, ValueError, RecursionError, TypeError, pickle.PicklingError):
        sink, data = _dump(surrogate(value), keep, scan_nan, pickle.Pickler)
        kind = "s"
    # The byte scan can match inside other data; confirm on the value before marking it.
    nan = sink.nan and contains_nan(value)
    return Encoded(kind, sink.size, sink.hash.hexdigest(), data, nan)


def contains_nan(value):
    """Whether a NaN float (or complex part) is anywhere inside `value` (iteratively: no recursion)."""
    stack = [value]
    seen = set()
    while stack:
        x = stack.pop()
        t = type(x)
        if t is float or isinstance(x, float):
            if x != x:
                return True
        elif t is complex or isinstance(x, complex):
            if x.real != x.real or x.imag != x.imag:
                return True
        elif isinstance(x, (list, tuple, set, frozenset)):
            if id(x) not in seen:
                seen.add(id(x))
                stack.extend(x)
        elif isinstance(x, dict):
            if id(x) not in seen:
                seen.add(id(x))
                stack.extend(x.keys())
                stack.extend(x.values())
    return False


def digest_of(kind, data):
    return hashlib.blake2b(data, digest_size=_DIGEST_SIZE).hexdigest()


# ---------------------------------------------------------------- surrogates (child side)

_MAX_NODES = 5_000_000


def _qualname(t):
    return "%s.%s" % (getattr(t, "__module__", "?"), getattr(t, "__qualname__", getattr(t, "__name__", "?")))


def surrogate(value):
    """A tagged tree of builtins describing `value` without calling its own methods."""
    budget = [_MAX_NODES]
    return _sur(value, budget, set())


def _sur(x, budget, path):
    budget[0] -= 1
    if budget[0] < 0:
        raise TooLarge("value has more than %d parts" % _MAX_NODES)
    t = type(x)
    if x is None:
        return ("N",)
    if t is bool:
        return ("b", x)
    if t is int:
        return ("i", x)
    if t is float:
        return ("f", x)
    if t is complex:
        return ("c", x.real, x.imag)
    if t is str:
        return ("s", x)
    if t is bytes:
        return ("y", x)
    if t is bytearray:
        return ("Y", bytes(x))
    if t in (list, tuple, set, frozenset, dict):
        return _container(t, x, budget, path)
    if isinstance(x, fractions.Fraction):
        return ("q", "fractions.Fraction", int.__int__(x.numerator), int.__int__(x.denominator))
    if isinstance(x, decimal.Decimal):
        return ("q", "decimal.Decimal", decimal.Decimal.__str__(x))
    if isinstance(x, collections.deque):
        return _guard(x, path, lambda: ("q", "collections.deque", [_sur(v, budget, path) for v in collections.deque.__iter__(x)]))
    base = _builtin_base(t)
    if base is not None:
        plain = _plain_of(base, x, budget, path)
        return ("sub", _qualname(t), plain)
    numpy_scalar = _numpy_scalar(x)
    if numpy_scalar is not None:
        return ("sub", _qualname(t), _sur(numpy_scalar, budget, path))
    return ("o", _qualname(t))


def _guard(x, path, build):
    key = id(x)
    if key in path:
        return ("cycle",)
    path.add(key)
    try:
        return build()
    finally:
        path.discard(key)


def _container(t, x, budget, path):
    if t is dict:
        return _guard(x, path, lambda: ("d", [(_sur(k, budget, path), _sur(v, budget, path)) for k, v in dict.items(x)]))
    tag = {list: "l", tuple: "t", set: "S", frozenset: "F"}[t]
    it = {list: list.__iter__, tuple: tuple.__iter__, set: set.__iter__, frozenset: frozenset.__iter__}[t]
    return _guard(x, path, lambda: (tag, [_sur(v, budget, path) for v in it(x)]))


_BASES = (bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset)


def _builtin_base(t):
    for base in _BASES:
        if issubclass(t, base):
            return base
    return None


def _plain_of(base, x, budget, path):
    """The builtin value inside an instance of a subclass, read through the base type's own slots."""
    if base is int:
        return ("i", int.__int__(x))
    if base is float:
        return ("f", float.__float__(x))
    if base is complex:
        return ("c", complex.__complex__(x).real, complex.__complex__(x).imag)
    if base is str:
        return ("s", str.__str__(x))
    if base in (bytes, bytearray):
        return ("y", bytes.__add__(b"", x) if base is bytes else bytes(bytearray.__iter__(x)))
    return _container(base, x, budget, path)


def _numpy_scalar(x):
    t = type(x)
    if not getattr(t, "__module__", "").startswith("numpy"):
        return None
    item = getattr(x, "item", None)
    shape = getattr(x, "shape", None)
    if item is None or shape != ():
        return None
    try:
        v = item()
    except Exception:
        return None
    return v if type(v) in (bool, int, float, complex, str, bytes) else None


# ---------------------------------------------------------------- decoding (judge side)


class _Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "builtins" and name in ("complex", "bytearray"):
            return {"complex": complex, "bytearray": bytearray}[name]
        raise pickle.UnpicklingError("global %s.%s is not allowed" % (module, name))


class Opaque:
    """A value the child could not describe (a custom object): equal to nothing, as we cannot know."""

    __slots__ = ("type_name",)

    def __init__(self, type_name):
        self.type_name = type_name

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = object.__hash__

    def __repr__(self):
        return "<%s object>" % self.type_name


class Cycle(Opaque):
    def __init__(self):
        Opaque.__init__(self, "cyclic reference")


_STAND_INS = {}
_KNOWN = {
    ("collections.Counter", dict): collections.Counter,
    ("collections.OrderedDict", dict): collections.OrderedDict,
    ("collections.defaultdict", dict): lambda d: collections.defaultdict(None, d),
}


def _stand_in(name, base):
    """One class per (name, base), so two values of the same foreign type have the same type here."""
    key = (name, base)
    cls = _STAND_INS.get(key)
    if cls is None:
        parent = int if base is bool else base
        short = name.rsplit(".", 1)[-1] or "value"
        cls = type(short, (parent,), {"__module__": name.rsplit(".", 1)[0] if "." in name else "?"})
        cls.__qualname__ = short
        _STAND_INS[key] = cls
    return cls


_TAG_BASE = {"b": bool, "i": int, "f": float, "c": complex, "s": str, "y": bytes, "Y": bytearray,
             "l": list, "t": tuple, "S": set, "F": frozenset, "d": dict}


def from_surrogate(node):
    tag = node[0]
    if tag == "N":
        return None
    if tag in ("b", "i", "f", "s", "y"):
        return node[1]
    if tag == "Y":
        return bytearray(node[1])
    if tag == "c":
        return complex(node[1], node[2])
    if tag == "l":
        return [from_surrogate(v) for v in node[1]]
    if tag == "t":
        return tuple(from_surrogate(v) for v in node[1])
    if tag == "S":
        return set(from_surrogate(v) for v in node[1])
    if tag == "F":
        return frozenset(from_surrogate(v) for v in node[1])
    if tag == "d":
        return {from_surrogate(k): from_surrogate(v) for k, v in node[1]}
    if tag == "q":
        return _quoted(node)
    if tag == "sub":
        inner = node[2]
        base = _TAG_BASE.get(inner[0])
        value = from_surrogate(inner)
        if base is None:
            return value
        known = _KNOWN.get((node[1], base))
        if known is not None:
            return known(value)
        return _stand_in(node[1], base)(value)
    if tag == "cycle":
        return Cycle()
    return Opaque(str(node[1]) if len(node) > 1 else "unknown")


def _quoted(node):
    kind = node[1]
    if kind == "fractions.Fraction":
        return fractions.Fraction(node[2], node[3])
    if kind == "decimal.Decimal":
        return decimal.Decimal(node[2])
    if kind == "collections.deque":
        return collections.deque(from_surrogate(v) for v in node[2])
    return Opaque(kind)


def decode(kind, data):
    value = _Restricted(io.BytesIO(data)).load()
    return from_surrogate(value) if kind == "s" else value


def has_nan(data):
    return _has_nan(data)


def short_repr(value, limit=300):
    """repr for reports, bounded: huge outputs are cut, and a repr that fails says so (Python refuses
    to print integers of over 4,300 digits: those are described by their size)."""
    if type(value) is int and value.bit_length() > 14000:
        return "<an int of about %d digits>" % int(value.bit_length() * 0.30103)
    try:
        text = repr(value)
    except Exception as e:  # a stand-in never raises, but keep reports from ever failing
        text = "<unprintable %s: %s>" % (type(value).__name__, e)
    if len(text) > limit:
        text = text[: limit - 20] + "... (%d chars)" % len(text)
    return text
