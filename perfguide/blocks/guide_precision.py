"""Blocks of the Inference precision page: speed and agreement with f32, per precision."""

from __future__ import annotations

from perfguide.blocks import data, fmt
from perfguide.blocks.charts import inline_svg, pyplot

PAGE = "guide/precision"
PRECISIONS = ("f32", "bf16", "f16", "int8")


def _heading(e: data.Entry) -> str:
    return fmt.heading(e, f", {e.number('samples'):.0f} random inputs, {e.number('frames'):.0f} frames "
                          "a throughput run")


def table() -> str:
    """Per machine: what each precision ran in, its throughput and its error vs f32."""
    def render(e: data.Entry) -> str:
        runs_in = e.value("runs_in")
        rows = []
        for name in PRECISIONS:
            asked = "int8 (NNCF)" if name == "int8" else f"`{name}`"
            rows.append([
                asked, fmt.text(runs_in.get(name, "–")), f"{e.number(f'{name}_fps'):.1f}",
                f"{e.number(f'{name}_speedup'):.2f}×", f"{e.number(f'{name}_max_abs'):.4f}",
                f"{e.number(f'{name}_mean_abs'):.4f}", f"{e.number(f'{name}_top1_agreement'):.0%}",
            ])
        return _heading(e) + fmt.table(
            ["Precision asked for", "Heavy layers ran in", "Frames/s", "vs f32", "Max abs error",
             "Mean abs error", "Top-1 agreement with f32"], rows)

    return fmt.page_tabs(PAGE, render)


def _chart(e: data.Entry) -> str:
    plt = pyplot()
    speed = [e.number(f"{n}_speedup") for n in PRECISIONS]
    mean_err = [e.number(f"{n}_mean_abs") for n in PRECISIONS]
    max_err = [e.number(f"{n}_max_abs") for n in PRECISIONS]
    runs_in = e.value("runs_in")
    labels = []
    for name in PRECISIONS:  # name a substitution where it happened: "f16 (ran bf16)"
        ran = str(runs_in.get(name, name)).split(" (")[0]
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
    fig.suptitle(f"{e.data['model']} on {e.machine.id} ({e.data['device']})", fontsize=10)
    fig.tight_layout()
    return inline_svg(fig)


def chart() -> str:
    """Per machine: speed-up over f32 and error against f32, side by side."""
    return fmt.page_tabs(PAGE, _chart)
