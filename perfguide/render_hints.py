"""Data blocks of the Performance hints page: what each hint resolved to, read back."""

from __future__ import annotations

from perfguide.render import RenderError, _page_entries, block, markdown_table

PAGE = "guide/hints"


@block("hints-table")
def hints_table() -> str:
    """Per measured machine: streams, threads, precision and requests each configuration got."""
    parts = []
    entries = _page_entries(PAGE)
    for machine, entry in entries:
        rows = entry["observed"].get("table")
        if not rows:
            raise RenderError(f"{PAGE}: the page results have no table: regenerate the page")
        body = markdown_table(
            ["Configuration", "Streams", "Threads (all streams)", "Precision hint", "Heavy layers ran in",
             "Optimal requests", "Runs on"],
            [[f"`{r['configuration']}`", r["streams"], r["threads"], f"`{r['precision']}`", r["ran_in"],
              r["requests"], ", ".join(r["devices"])] for r in rows])
        heading = (f"*Read back on **{machine['id']}** ({machine['cpu_model']}, "
                   f"{machine['cores_logical']} cores), device `{entry['device']}`, model "
                   f"`{entry['model']}`:*\n\n")
        parts.append(heading + body)
    return "\n".join(parts)
