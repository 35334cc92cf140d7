"""Blocks that put one machine's figures and facts into a sentence, and a page's output box."""

from __future__ import annotations

from perfguide.blocks import data, fmt

MISSING = "–"


def value(page: str, key: str, digits: str = "1") -> str:
    """One value the region's machine observed: ``{{ value guide/introduction throughput_fps }}``;
    digits ``+0`` writes its sign, whichever it is (``+34``, ``-1``)."""
    entry = data.entry(page, "value")
    if entry is None:
        return MISSING
    sign = "+" if digits.startswith("+") else ""
    return f"{entry.number(key):{sign}.{int(digits.lstrip('+'))}f}"


def ratio(page: str, numerator: str, denominator: str) -> str:
    """How many times larger one observed value is than another, e.g. ``1.8×``."""
    entry = data.entry(page, "ratio")
    if entry is None:
        return MISSING
    return f"{entry.number(numerator) / entry.number(denominator):.1f}×"


def _listed(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(fmt.code(v) for v in value) or "none"
    return fmt.code(value) if isinstance(value, str) else fmt.text(value)


def observed(page: str, key: str, subkey: str | None = None) -> str:
    """A text fact the region's machine observed (a list is written as a list of code spans):
    ``{{ observed guide/precision runs_in f16 }}``."""
    entry = data.entry(page, "observed")
    if entry is None:
        return MISSING
    found = entry.value(key)
    if subkey is not None:
        if not isinstance(found, dict) or subkey not in found:
            from perfguide.blocks import RenderError

            raise RenderError(f"{page}: the page results of {entry.machine.id} have no {key}[{subkey!r}]")
        found = found[subkey]
    return _listed(found)


def isa() -> str:
    """The region machine's vector extensions, as its results file records them."""
    machine = data.current()
    if machine is None:
        from perfguide.blocks import RenderError

        raise RenderError("{{ isa }} shows one machine's flags: put it inside a region")
    return _listed(machine.isa or ["none recorded"])


def page_output(page: str) -> str:
    """What the page's snippet module printed, one collapsed box per machine (in its tab)."""
    def box(entry: data.Entry) -> str:
        m = entry.machine.info
        title = (f"Output on {m.get('id')} ({m.get('cpu_model')}, {m.get('cores_logical')} cores, "
                 f"{entry.data.get('device')}, {entry.data.get('model')}, OpenVINO "
                 f"{str(m.get('openvino', '?')).split('-')[0]}, "
                 f"{str(entry.data.get('date', m.get('date', '')))[:10]})")
        title = fmt.title(title)
        lines = str(entry.data.get("output", "")).rstrip().splitlines() or ["(printed nothing)"]
        fence = "`" * max(3, 1 + max((len(t) - len(t.lstrip("`")) for t in lines), default=0))
        body = "\n".join("    " + line for line in lines)
        return f'??? example page-output "{title}"\n\n    {fence}text\n{body}\n    {fence}\n'

    return fmt.page_tabs(page, box)


# Where the tests run a snippet module, by what its DEVICES declares (None: every device).
_WHERE = {
    None: ("on every device the testing machine has — CPU, GPU and NPU where present, and the "
           "virtual devices — and skips, saying why, the ones it lacks", "CPU"),
    ("CPU",): ("on the CPU, and on nothing else", "CPU"),
    ("GPU",): ("on every GPU the testing machine has, and skips, saying why, where there is none",
               "GPU"),
    ("AUTO",): ("on `AUTO` over every real device of the testing machine", "AUTO"),
    ("HETERO",): ("on `HETERO` over every real device of the testing machine", "HETERO:CPU"),
}


def run_it_yourself(page: str) -> str:
    """The note every guide page opens with: which snippet module its examples are cut from,
    where the tests run it (from the module's ``DEVICES``), and the commands to run it."""
    from perfguide import pages
    from perfguide.blocks import RenderError

    module = pages.load_snippet(page)
    devices = getattr(module, "DEVICES", None)
    key = tuple(devices) if devices is not None else None
    if key in _WHERE:
        where, device = _WHERE[key]
    elif key and all(family in ("CPU", "GPU", "NPU") for family in key):
        names = [{"CPU": "the CPU"}.get(f, f"every {f}") for f in key]
        where = (f"on {', '.join(names[:-1])} and {names[-1]} the testing machine has, and skips, "
                 "saying why, what it lacks")
        device = key[0]
    else:
        raise RenderError(f"{{{{ run-it-yourself {page} }}}}: no wording for DEVICES = {devices}")
    script = f"snippets/{page}.py"
    test_model = getattr(module, "TEST_MODEL", None)
    stand_in = (f" (on `{test_model}`, a small stand-in that runs the same code in seconds; this "
                f"page's figures come from `{module.MODEL}`)" if test_model else "")
    own = ("path/to/your_model.gguf" if getattr(module, "MODEL_KIND", "model") == "llm"
           else "path/to/your_model.xml")
    twin = pages.SNIPPETS / f"{page}.cpp"
    cpp = (f"    Each C++ example is cut from `snippets/{page}.cpp`, a program built against the same "
           f"OpenVINO and run by the tests on the same devices; build and run it with:\n\n"
           f"    ```console\n"
           f"    $ python scripts/cpp.py run {page} --device {device} --model {module.MODEL}\n"
           f"    ```\n") if twin.is_file() else ""
    return (f'!!! example "Every example on this page ran"\n'
            f"    Each Python example is cut from `{script}`, which the test suite runs "
            f"{where}{stand_in}. Run it on your machine, and on your own model:\n\n"
            f"    ```console\n"
            f"    $ python {script} --device {device} --model {module.MODEL}\n"
            f"    $ python {script} --device {device} --model {own}\n"
            f"    ```\n" + ("\n" + cpp if cpp else ""))
