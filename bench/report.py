"""Render a bench run as Markdown and put it into the README between the bench markers."""

from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
GOALS = {
    "public registry lookup (licence)": "≥ 0.35, p99 ≤ 10 ms",
    "officer detail (JWT)": "≥ 0.22",
    "officer list of 20 (JWT)": "≥ 0.18",
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
        if title in {"http", "machine", "started_at", "seconds"}:
            continue
        items = "; ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        lines.append(f"- **{title}**: {items}")
    return "\n".join(lines)


def readme_update(results: dict, readme: Path) -> bool:
    text = readme.read_text()
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{markdown(results)}\n{END}{tail}")
    return True
