"""Verdict rules: how an output is compared with the expected one.

EvalPlus (read from evalplus/eval/__init__.py `unsafe_execute` / `check_output`, and
evalplus/eval/_special_oracle.py; re-implemented here, not copied):
- `out == exp` first;
- MBPP special oracles: Mbpp/164 `are_equivalent` always passes, Mbpp/295 `sum_div` passes on 0 too,
  Mbpp/581 `surface_Area` against a second reading of the task, Mbpp/558 `digit_distance_nums` with
  zero-padding, eight tasks compared as sets, three regex tasks graded on "returned something";
- HumanEval/32 `find_zero` passes when |poly(xs, out)| <= atol, whatever the expected root was;
- a float-shaped expected value with atol 0 gets atol 1e-6; with a tolerance, types must match,
  lists/tuples must have equal lengths and values must satisfy np.allclose(rtol=1e-7, atol).
The MBPP+ input fix-ups (tuples, sets, complex numbers that JSON cannot hold) follow
evalplus/data/mbpp.py `mbpp_deserialize_inputs`, by task number.

APPS (read from hendrycks/apps eval/testing_util.py `run_test`; our own, stricter reading):
call-based outputs are compared after turning a returned tuple into a list, against the expected
value or its first element; stdin/stdout outputs pass when equal after stripping, line by line after
stripping each line and dropping blank ones, or token by token where numeric tokens may differ by
np.allclose's default tolerance. APPS's last resort (comparing the *sets* of tokens, ignoring order)
is not used: it accepts answers with the right numbers in the wrong order.
"""

import math

try:  # evalplus compares with numpy; use it when the interpreter has it, else an equivalent below
    import numpy as _np
except Exception:  # pragma: no cover - depends on the interpreter
    _np = None

# ------------------------------------------------------------------ evalplus

MBPP_NOT_NONE = frozenset(["check_str", "text_match_three", "text_starta_endb"])
MBPP_SET_EQ = frozenset([
    "similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
    "larg_nnum", "intersection_array", "find_dissimilar", "Diff",
])


def surface_area_oracle(base_edge, height):
    """Mbpp/581 read with `height` as the pyramid's height (not its slant height), rounded."""
    slant = math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 2 * base_edge * slant)


def digit_distance_oracle(a, b):
    """Mbpp/558 with the shorter number padded with zeros."""
    x, y = str(a), str(b)
    width = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(width), y.zfill(width)))


def poly(xs, x):
    return sum(c * math.pow(x, i) for i, c in enumerate(xs))


def is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(v, float) for v in x)
    if _np is not None and isinstance(x, _np.ndarray):
        return x.dtype in (_np.float64, _np.float32)
    return False


def _close_scalar(a, b, rtol, atol):
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)) or a is None or b is None:
        raise TypeError("not numbers")
    if isinstance(a, complex) or isinstance(b, complex):
        a, b = complex(a), complex(b)
    if a == b:
        return True
    if isinstance(a, float) and isinstance(b, float) and (math.isinf(a) or math.isinf(b)):
        return False
    return abs(a - b) <= atol + rtol * abs(b)


def _allclose_fallback(a, b, rtol, atol):
    seq = (list, tuple)
    if isinstance(a, seq) and isinstance(b, seq):
        if len(a) == len(b):
            return all(_allclose_fallback(x, y, rtol, atol) for x, y in zip(a, b))
        if len(a) == 1:
            return all(_allclose_fallback(a[0], y, rtol, atol) for y in b)
        if len(b) == 1:
            return all(_allclose_fallback(x, b[0], rtol, atol) for x in a)
        raise ValueError("shapes differ")
    if isinstance(a, seq):
        return all(_allclose_fallback(x, b, rtol, atol) for x in a)
    if isinstance(b, seq):
        return all(_allclose_fallback(a, y, rtol, atol) for y in b)
    return _close_scalar(a, b, rtol, atol)


def allclose(a, b, rtol, atol):
    if _np is not None:
        return bool(_np.allclose(a, b, rtol=rtol, atol=atol))
    return _allclose_fallback(a, b, rtol, atol)


def evalplus_match(inp, out, exp, atol, oracle, entry_point):
    """True when `out` passes for expected `exp` on input `inp`; any exception means it does not."""
    exact = out == exp
    if oracle == "mbpp":
        if entry_point == "are_equivalent":
            exact = True
        elif entry_point == "sum_div":
            exact = exact or out == 0
        elif entry_point == "surface_Area":
            exact = exact or abs(out - surface_area_oracle(*inp)) <= atol
        elif entry_point == "digit_distance_nums":
            exact = exact or out == digit_distance_oracle(*inp)
        elif entry_point in MBPP_SET_EQ:
            exact = set(out) == set(exp)
        elif entry_point in MBPP_NOT_NONE:
            exact = out == exp if isinstance(out, bool) else exp == (out is not None)
    if oracle == "humaneval" and entry_point == "find_zero":
        return bool(abs(poly(*inp, out)) <= atol)
    if atol == 0 and is_floats(exp):
        atol = 1e-6
    if not exact and atol != 0:
        if type(out) is not type(exp):
            return False
        if isinstance(exp, (list, tuple)) and len(out) != len(exp):
            return False
        return allclose(out, exp, 1e-07, atol)
    return bool(exact)


def needs_inputs(oracle, entry_point):
    """Whether the rule for this task reads the input (the judge parses inputs only then)."""
    if oracle == "mbpp":
        return entry_point in ("surface_Area", "digit_distance_nums")
    return oracle == "humaneval" and entry_point == "find_zero"


# MBPP+ stores tuples, sets and complex numbers as JSON lists and strings; these task numbers get
# them back (evalplus/data/mbpp.py). Each rule maps one input (a list of arguments) to the arguments.
def _tuples(arg):
    return tuple(arg)


def _all_tuples(x):
    return tuple(_all_tuples(v) for v in x) if isinstance(x, list) else x


_ARGS_TO_TUPLES = {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616,
                   630, 726, 740, 744, 809}
_ARGS_OF_TUPLES = {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}
_FIRST_OF_TUPLES = {75, 413, 444, 753}
_SECOND_TUPLE = {106, 750}
_FIRST_TUPLE = {250, 405, 446, 617, 720, 763, 808}
_NESTED_TUPLES = {259, 401, 445}
_ALL_TUPLES = {580, 615, 791}


def mbpp_arguments(task, args):
    """The call arguments of one MBPP+ input for task number `task` (rules of evalplus/data/mbpp.py)."""
    if task in _ARGS_TO_TUPLES:
        return [tuple(a) for a in args]
    if task in _ARGS_OF_TUPLES:
        return [[tuple(x) for x in a] for a in args]
    if task in _FIRST_OF_TUPLES:
        return [[tuple(x) for x in args[0]]] + [args[1]]
    if task in _SECOND_TUPLE:
        return [args[0], tuple(args[1])]
    if task == 115:
        return [[set(x) if isinstance(x, list) and len(x) else {} for x in args[0]]]
    if task == 124:
        return [float(args[0]), complex(args[1])]
    if task in _FIRST_TUPLE:
        return [tuple(args[0])] + [args[1]]
    if task in _NESTED_TUPLES:
        return [tuple(tuple(x) for x in a) for a in args]
    if task == 278:
        return [tuple(tuple(x) if isinstance(x, list) else x for x in args[0])]
    if task == 307:
        return [tuple(args[0]), args[1], args[2]]
    if task == 722:
        return [{k: tuple(v) for k, v in args[0].items()}] + list(args[1:])
    if task == 252:
        return [complex(args[0])]
    if task in _ALL_TUPLES:
        return _all_tuples(args)
    return args


def call_arguments(inputs_rule, args):
    """Arguments for one call: `inputs_rule` is None or "mbpp:<task number>"."""
    if inputs_rule and inputs_rule.startswith("mbpp:"):
        return mbpp_arguments(int(inputs_rule[5:]), args)
    return args


# ------------------------------------------------------------------ APPS


def apps_call_match(out, expected):
    if isinstance(out, tuple):
        out = list(out)
    if out == expected:
        return True
    if isinstance(expected, list) and expected:
        if out == expected[0]:
            return True
        if isinstance(out, list) and out and isinstance(out[0], tuple):
            return [list(x) for x in out] == expected[0]
    return False


def _float_or_none(token):
    try:
        return float(token)
    except ValueError:
        return None


def _tokens_match(a, b):
    if a == b:
        return True
    x, y = _float_or_none(a), _float_or_none(b)
    if x is None or y is None:
        return False
    if math.isnan(x) or math.isnan(y):
        return False
    return x == y or abs(x - y) <= 1e-08 + 1e-05 * abs(y)


def stdout_match(actual, expected):
    """APPS-style comparison of a program's stdout with the expected text."""
    a = actual.replace("\r\n", "\n").replace("\r", "\n")
    e = expected.replace("\r\n", "\n").replace("\r", "\n")
    if a.strip() == e.strip():
        return True
    lines_a = [l.strip() for l in a.split("\n") if l.strip()]
    lines_e = [l.strip() for l in e.split("\n") if l.strip()]
    if lines_a == lines_e:
        return True
    tok_a, tok_e = a.split(), e.split()
    return len(tok_a) == len(tok_e) and all(_tokens_match(x, y) for x, y in zip(tok_a, tok_e))


def stdio_text(value):
    """An APPS input or output: a string, or a list of lines joined with newlines."""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)
