"""Render a bench run as Markdown and put it into the README between the bench markers."""

from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
GOALS = {
    "public registry lookup (licence)": "≥ 0.35, p99 ≤ 10 ms",
    "officer detail (JWT)": "≥ 0.22",
    "officer list of 20 (JWT)": "≥ 0.18",
    "public certificate verification": "≥ 0.35",
}


def markdown(results: dict) -> str:
    machine = results["machine"]
    lines = [
        f"Latest `make bench` ({results['started_at']}; {machine['cpus']} CPUs, {machine['memory']} RAM, "
        f"Python {machine['python']}, PostgreSQL on 127.0.0.1; {results['seconds']} s):",
        "",
        "| HTTP endpoint | req/s | ratio to bare view | p99 ms | non-2xx | goal |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, row in results["http"].items():
        lines.append(f"| {name} | {row['rps']:.0f} | {row['ratio']:.2f} | {row['p99_ms']:.1f} | {row['non_2xx']} | "
                     f"{GOALS.get(name, '')} |")
    lines.append("")
    for title, value in results.items():
        if title in {"http", "machine", "started_at", "seconds", SCALE}:
            continue
        items = "; ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        lines.append(f"- **{title}**: {items}")
    if isinstance(results.get(SCALE), dict) and "p50/p99 ms" in results[SCALE]:
        lines += ["", *scale_table(results[SCALE])]
    return "\n".join(lines)


SCALE = "national scale"
SCALE_GOALS = {"lookup by licence": "p99 < 10 ms", "eligibility": "p99 < 10 ms"}


def scale_table(scale: dict) -> list[str]:
    """p50 / p99 (ms) per query and size, the p99 growth from the smallest to the largest size, and load times."""
    sizes = [str(s) for s in scale["sizes"]]
    by_size = scale["p50/p99 ms"]
    lines = [f"National scale (in-process requests through the test client, {scale['requests per query']} per "
             "query and size, random keys; p50 / p99 ms):", "",
             "| query | " + " | ".join(f"{int(s):,} officers" for s in sizes) + " | p99 largest / smallest | goal |",
             "|---|" + "---:|" * len(sizes) + "---:|---|"]
    for name in by_size[sizes[0]]:
        cells = " | ".join(f"{by_size[s][name]['p50_ms']} / {by_size[s][name]['p99_ms']}" for s in sizes)
        goal = "≤ 1.5×" + (f", {SCALE_GOALS[name]}" if name in SCALE_GOALS else "")
        lines.append(f"| {name} | {cells} | {scale['p99 at largest / smallest'][name]}× | {goal} |")
    loads = "; ".join(f"{int(s):,}: {v['total']} s" for s, v in scale["load seconds"].items())
    lines += ["", f"Load time per step (cumulative population, licence triggers on): {loads}."]
    return lines


def readme_update(results: dict, readme: Path) -> bool:
    text = readme.read_text()
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{markdown(results)}\n{END}{tail}")
    return True
