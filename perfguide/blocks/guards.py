"""Guards: the checks that keep a page's prose true on every machine it shows.

A guard block (``{{ claim … }}``, ``{{ has … }}``, ``{{ lacks … }}``, ``{{ same-runs-in … }}``)
stands right after the sentence it guards, inside a ``{{ machines PAGE }}`` region, and is
evaluated on the region's machine. It renders nothing when it holds. When it does not, a
committed machine fails the build (fix the prose, or let it branch with ``{{ if … }}``), and a
reader's machine gets a visible note there instead (:func:`perfguide.blocks.fmt.note`). A stale
page result (from an older version of its snippet) is shown but feeds no guard.

The same guards choose prose: ``{{ if has amx_bf16 }} … {{ else }} … {{ end-if }}``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from perfguide.blocks import RenderError, data, fmt

PRECISION_PAGE = "guide/precision"
RELATIONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}

# (holds, what did not hold) — or None when the guard has nothing to judge (a stale result).
Verdict = tuple[bool, str] | None


def _machine(block: str) -> data.Machine:
    machine = data.current()
    if machine is None:
        raise RenderError(f"{{{{ {block} }}}} checks one machine's data: put it inside a "
                          "{{ machines PAGE }} … {{ end-machines }} region")
    return machine


def claim(page: str, left: str, relation: str, right: str) -> Verdict:
    """``left relation right`` on the selected machine's results of ``page``."""
    if relation not in RELATIONS:
        raise RenderError(f"claim relation must be one of {', '.join(RELATIONS)}, not {relation!r}")
    _machine("claim")
    entry = data.entry(page, "claim")
    if entry is None:
        return False, f"no results for {page} to check {left} {relation} {right}"
    if entry.stale:
        return None
    a, b = entry.number(left), entry.number(right)
    return RELATIONS[relation](a, b), f"{left} {relation} {right} does not hold ({a:.4g} vs {b:.4g})"


def features(machine: data.Machine) -> list[str]:
    """The machine's ISA flags and its CPU's capabilities (as the precision page read them)."""
    found = list(machine.isa)
    for m, doc in data.build().pages:
        if m.id == machine.id and PRECISION_PAGE in doc["pages"]:
            caps = (doc["pages"][PRECISION_PAGE].get("observed") or {}).get("capabilities") or []
            found += [str(c).lower() for c in caps]
    return found


def has(feature: str) -> Verdict:
    """The machine's ISA flags or CPU capabilities mention ``feature`` (a case-insensitive
    substring: ``amx`` matches ``amx_bf16``)."""
    machine = _machine("has")
    found = [f for f in features(machine) if feature.lower() in f]
    return bool(found), f"it has no {feature!r} in its ISA flags or the CPU's capabilities"


def lacks(feature: str) -> Verdict:
    machine = _machine("lacks")
    found = [f for f in features(machine) if feature.lower() in f]
    return not found, f"it has {feature!r}: {', '.join(found)}"


def same_runs_in(first: str, second: str) -> Verdict:
    """Asked for ``first`` and for ``second``, the precision page's model ran in the same one."""
    _machine("same-runs-in")
    entry = data.entry(PRECISION_PAGE, "same-runs-in")
    if entry is None:
        return False, f"no results for {PRECISION_PAGE} to compare {first} and {second}"
    if entry.stale:
        return None
    runs_in = entry.value("runs_in")
    a, b = runs_in.get(first), runs_in.get(second)
    return a == b, f"{first} and {second} ran in different precisions ({a} vs {b})"


GUARDS: dict[str, Callable[..., Verdict]] = {
    "claim": claim, "has": has, "lacks": lacks, "same-runs-in": same_runs_in}


def evaluate(name: str, *args: str) -> Verdict:
    try:
        guard = GUARDS[name]
    except KeyError:
        raise RenderError(f"unknown guard {name!r}; guards: {', '.join(GUARDS)}") from None
    try:
        return guard(*args)
    except TypeError as exc:
        raise RenderError(f"guard {name} {' '.join(args)}: {exc}") from None


def holds(name: str, *args: str) -> bool:
    """For ``{{ if … }}``: whether the guard holds on the selected machine (a stale result's
    data still chooses the prose; it is marked stale where it is shown)."""
    verdict = evaluate(name, *args)
    if verdict is None:  # stale: evaluate on its data all the same
        entry = data.entry(args[0] if name == "claim" else PRECISION_PAGE, name)
        if entry is not None and name == "claim":
            return RELATIONS[args[2]](entry.number(args[1]), entry.number(args[3]))
        if entry is not None:
            runs_in = entry.value("runs_in")
            return runs_in.get(args[0]) == runs_in.get(args[1])
        return False
    return verdict[0]


def _render(name: str, *args: str) -> str:
    verdict = evaluate(name, *args)
    if verdict is None or verdict[0]:
        return ""
    return fmt.note(data.current(), verdict[1])


def claim_block(page: str, left: str, relation: str, right: str) -> str:
    return _render("claim", page, left, relation, right)


def has_block(feature: str) -> str:
    return _render("has", feature)


def lacks_block(feature: str) -> str:
    return _render("lacks", feature)


def same_runs_in_block(first: str, second: str) -> str:
    return _render("same-runs-in", first, second)
