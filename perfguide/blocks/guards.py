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
from dataclasses import dataclass

from perfguide.blocks import NotMeasured, RenderError, data, fmt

PRECISION_PAGE = "guide/precision"
RELATIONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True)
class Verdict:
    holds: bool
    failure: str  # what did not hold, for the note or the build error
    stale: bool = False  # judged on a stale result: it chooses prose but guards nothing


def _machine(block: str) -> data.Machine:
    machine = data.current()
    if machine is None:
        raise RenderError(f"{{{{ {block} }}}} checks one machine's data: put it inside a "
                          "{{ machines PAGE }} … {{ end-machines }} region")
    return machine


def _judge(page: str, block: str, what: str, check: Callable[[data.Entry], tuple[bool, str]]) -> Verdict:
    """``check`` on the selected machine's result of ``page`` (a reader's machine may lack it)."""
    _machine(block)
    entry = data.entry(page, block)
    if entry is None:
        return Verdict(False, f"no results for {page} to check {what}")
    try:
        return Verdict(*check(entry), stale=entry.stale)
    except NotMeasured:  # an older snippet did not measure it: such prose is not chosen
        return Verdict(False, f"{what}: not measured by that version of the page's code", stale=True)


def claim(page: str, left: str, relation: str, right: str) -> Verdict:
    """``left relation right`` on the selected machine's results of ``page``."""
    if relation not in RELATIONS:
        raise RenderError(f"claim relation must be one of {', '.join(RELATIONS)}, not {relation!r}")

    def check(entry: data.Entry) -> tuple[bool, str]:
        a, b = entry.number(left), entry.number(right)
        return RELATIONS[relation](a, b), f"{left} {relation} {right} does not hold ({a:.4g} vs {b:.4g})"

    return _judge(page, "claim", f"{left} {relation} {right}", check)


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
    return Verdict(bool(found), f"it has no {feature!r} in its ISA flags or the CPU's capabilities")


def lacks(feature: str) -> Verdict:
    machine = _machine("lacks")
    found = [f for f in features(machine) if feature.lower() in f]
    return Verdict(not found, f"it has {feature!r}: {', '.join(found)}")


def same_runs_in(first: str, second: str) -> Verdict:
    """Asked for ``first`` and for ``second``, the precision page's model ran in the same one."""
    def check(entry: data.Entry) -> tuple[bool, str]:
        runs_in = entry.value("runs_in")
        a, b = runs_in.get(first), runs_in.get(second)
        return a == b, f"{first} and {second} ran in different precisions ({a} vs {b})"

    return _judge(PRECISION_PAGE, "same-runs-in", f"{first} against {second}", check)


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
    return evaluate(name, *args).holds


def _render(name: str, *args: str) -> str:
    verdict = evaluate(name, *args)
    if verdict.holds or verdict.stale:
        return ""
    return fmt.note(data.current(), verdict.failure)


def claim_block(page: str, left: str, relation: str, right: str) -> str:
    return _render("claim", page, left, relation, right)


def has_block(feature: str) -> str:
    return _render("has", feature)


def lacks_block(feature: str) -> str:
    return _render("lacks", feature)


def same_runs_in_block(first: str, second: str) -> str:
    return _render("same-runs-in", first, second)
