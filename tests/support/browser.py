"""What every page test in Chromium shares: the widths, the console-error collector and the axe-core audit.

axe-core comes from the npm registry into tests/.node (CI installs it: .ci/run); without it the axe tests skip with
the command to run. The audit injects a script, so it runs in a context with `bypass_csp=True`; console checks run
under the real policy."""

from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / ".node" / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = f"axe-core is not installed: run `npm install --prefix tests/.node axe-core@4` ({AXE} is absent)"
WIDTHS = [1280, 390]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def console_errors(page) -> list[str]:
    """A list that fills with the page's console errors and uncaught exceptions (CSP violations are reported there)."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    return errors


def axe_serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the loaded page, each with up to three of its targets."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
