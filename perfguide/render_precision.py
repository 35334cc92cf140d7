"""Data blocks of the Inference precision page: speed and agreement with f32, per precision."""

from __future__ import annotations

from perfguide.render import RenderError, _page_entries, block, inline_svg, markdown_table, pyplot

PAGE = "guide/precision"
PRECISIONS = ("f32", "bf16", "f16", "int8")


def _observed(entry: dict, key: str):
    try:
        return entry["observed"][key]
    except KeyError:
        raise RenderError(f"{PAGE}: the page results have no {key!r}: regenerate the page") from None


def _heading(machine: dict, entry: dict) -> str:
    return (f"*Measured on **{machine['id']}** ({machine['cpu_model']}, {machine['cores_logical']} "
            f"cores), device `{entry['device']}`, model `{entry['model']}`, "
            f"{_observed(entry, 'samples')} random inputs, {_observed(entry, 'frames')} frames a "
            f"throughput run:*\n\n")


@block("precision-table")
def precision_table() -> str:
    """Per measured machine: what each precision ran in, its throughput and its error vs f32."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        runs_in = _observed(entry, "runs_in")
        rows = []
        for name in PRECISIONS:
            asked = "int8 (NNCF)" if name == "int8" else f"`{name}`"
            rows.append([
                asked, runs_in.get(name, "–"), f"{_observed(entry, f'{name}_fps'):.1f}",
                f"{_observed(entry, f'{name}_speedup'):.2f}×",
                f"{_observed(entry, f'{name}_max_abs'):.4f}", f"{_observed(entry, f'{name}_mean_abs'):.4f}",
                f"{_observed(entry, f'{name}_top1_agreement'):.0%}",
            ])
        parts.append(_heading(machine, entry) + markdown_table(
            ["Precision asked for", "Heavy layers ran in", "Frames/s", "vs f32", "Max abs error",
             "Mean abs error", "Top-1 agreement with f32"], rows))
    return "\n".join(parts)


def _chart(machine: dict, entry: dict) -> str:
    plt = pyplot()
    speed = [_observed(entry, f"{n}_speedup") for n in PRECISIONS]
    mean_err = [_observed(entry, f"{n}_mean_abs") for n in PRECISIONS]
    max_err = [_observed(entry, f"{n}_max_abs") for n in PRECISIONS]
    runs_in = _observed(entry, "runs_in")
    labels = []
    for name in PRECISIONS:  # name a substitution where it happened: "f16 (ran bf16)"
        ran = runs_in.get(name, name).split(" (")[0]
        labels.append(name if name == "int8" or ran == name else f"{name} (ran {ran})")
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 3.0), dpi=100)
    left.barh(labels, speed, color="#3f51b5")
    left.axvline(1.0, color="k", lw=0.8, ls="--")
    left.set_xlabel("throughput vs f32 (higher is better)")
    left.invert_yaxis()
    y = range(len(PRECISIONS))
    right.barh([i - 0.2 for i in y], mean_err, height=0.4, label="mean", color="#ff9800")
    right.barh([i + 0.2 for i in y], max_err, height=0.4, label="max", color="#e91e63")
    right.set_yticks(list(y), labels)
    right.invert_yaxis()
    right.set_xlabel("abs difference from f32 outputs")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{entry['model']} on {machine['id']} ({entry['device']})", fontsize=10)
    fig.tight_layout()
    return f'<div class="perf-chart">\n{inline_svg(fig)}\n</div>'


@block("precision-chart")
def precision_chart() -> str:
    """Per measured machine: speed-up over f32 and error against f32, side by side."""
    return "\n".join(_chart(machine, entry) for machine, entry in _page_entries(PAGE))


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`" if isinstance(value, str) else str(value)


@block("precision-observed")
def precision_observed(key: str, subkey: str | None = None) -> str:
    """A text fact the page's snippet read from the device (e.g. its capabilities, or what a
    precision ran in), per measured machine."""
    entries = _page_entries(PAGE)
    texts = []
    for machine, entry in entries:
        value = _observed(entry, key)
        if subkey is not None:
            if not isinstance(value, dict) or subkey not in value:
                raise RenderError(f"{PAGE}: the page results have no {key}[{subkey!r}]")
            value = value[subkey]
        texts.append(_text(value) + (f" on {machine['id']}" if len(entries) > 1 else ""))
    return "; ".join(texts)


def _features(machine: dict, entry: dict) -> list[str]:
    """The machine's ISA flags and the device's capabilities, lower-cased."""
    return [f.lower() for f in [*machine.get("isa", []), *_observed(entry, "capabilities")]]


@block("precision-isa")
def precision_isa() -> str:
    """The vector extensions of each measured machine's CPU, as its results file records them."""
    entries = _page_entries(PAGE)
    return "; ".join(_text(m.get("isa") or ["none recorded"]) + (f" on {m['id']}" if len(entries) > 1 else "")
                     for m, _ in entries)


@block("precision-has")
def precision_has(feature: str) -> str:
    """Guard prose that says the measured CPU has ``feature`` (an ISA flag or a device capability,
    matched as a case-insensitive substring): fails the build if a measured machine lacks it."""
    for machine, entry in _page_entries(PAGE):
        if not any(feature.lower() in f for f in _features(machine, entry)):
            raise RenderError(f"the prose says {machine['id']} has {feature!r}, but neither its ISA "
                              f"flags nor the device's capabilities mention it")
    return ""


@block("precision-lacks")
def precision_lacks(feature: str) -> str:
    """Guard prose that says the measured CPU lacks ``feature``: fails the build if one has it."""
    for machine, entry in _page_entries(PAGE):
        found = [f for f in _features(machine, entry) if feature.lower() in f]
        if found:
            raise RenderError(f"the prose says {machine['id']} lacks {feature!r}, but it lists {found}")
    return ""


@block("precision-same-runs-in")
def precision_same_runs_in(first: str, second: str) -> str:
    """Guard prose that says two requests ran in the same precision: fails the build otherwise."""
    for machine, entry in _page_entries(PAGE):
        runs_in = _observed(entry, "runs_in")
        if runs_in.get(first) != runs_in.get(second):
            raise RenderError(f"the prose says {first} and {second} ran alike, but on {machine['id']} "
                              f"they ran in {runs_in.get(first)!r} and {runs_in.get(second)!r}")
    return ""
