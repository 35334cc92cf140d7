"""Data blocks of the Memory footprint page: the streams × requests table its snippet measured."""

from __future__ import annotations

from perfguide.render import RenderError, _page_entries, block, markdown_table

PAGE = "guide/memory"


@block("memory-table")
def memory_table() -> str:
    """Per measured machine: resident memory added by each streams × requests configuration."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        rows = entry["observed"].get("table")
        if not rows:
            raise RenderError(f"{PAGE}: the page results have no table: regenerate the page")
        body = markdown_table(
            ["Streams", "Requests", "Resident memory added, MiB", "by compile_model", "by inference",
             "Peak, MiB"],
            [[str(r["streams"]), str(r["requests"]), f"{r['total_mib']:.0f}", f"{r['compile_mib']:.0f}",
              f"{r['infer_mib']:.0f}", f"{r['peak_mib']:.0f}"] for r in rows])
        parts.append(f"*On **{machine['id']}** ({machine['cpu_model']}, {machine['cores_logical']} "
                     f"cores), device `{entry['device']}`, model `{entry['model']}`, each in a fresh "
                     f"process:*\n\n{body}")
    return "\n".join(parts)
