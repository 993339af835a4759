"""The report of `make compare-servers`: per point, every server's figures through both clients,
ratios to both C limit servers (io_uring's, the limit, and one send() per recipient), and Parley's verdict against each peer; then capacity and memory.
Written as text (printed too), JSON (every raw figure) and HTML, into out/compare-servers.*."""

import html
import json
import os

# The limit: the C server with each broadcast's sends as one io_uring submission. The one with a
# send() per recipient (the old limit) is shown beside it; ratios to both.
LIMIT = "c-limit-uring"
SEND_LIMIT = "c-limit"
LIMITS = (LIMIT, SEND_LIMIT)
PARLEY = "parley"


def describe(point):
    clients, publishers, rate = point
    who = "1 publisher" if publishers == 1 else f"{publishers} publishers"
    return f"{clients:,} clients, {who} × {rate:g} msg/s ({clients * publishers * rate:,.0f} deliveries/s)"


def lost(figures):
    """Deliveries missing, by either client (the C client's expected minus received)."""
    return figures["parleyLoad"]["lost"] + max(0, figures["cClient"]["expected"] - figures["cClient"]["received"])


def versus(parley, peer):
    """'ahead by 12 %' when Parley's figure is the lower, else 'behind by 12 %'."""
    if parley is None or not peer:
        return "-"
    if parley <= peer:
        return f"ahead by {(1 - parley / peer) * 100:.0f} %"
    return f"behind by {(parley / peer - 1) * 100:.0f} %"


def verdict(parley, peer):
    """Parley against one peer at one point: ahead only on both p99 and CPU per delivery (the
    C client's view, the one Parley did not write) with nothing lost."""
    p99 = parley["cClient"]["p99"], peer["cClient"]["p99"]
    cpu = parley["cClient"].get("serverCpuMicrosPerDelivery"), peer["cClient"].get("serverCpuMicrosPerDelivery")
    ahead = lost(parley) == 0 and p99[0] < p99[1] and cpu[0] is not None and cpu[1] and cpu[0] < cpu[1]
    return {"ahead": ahead, "p99": versus(*p99), "cpu": versus(*cpu),
            "p99 (parley-load)": versus(parley["parleyLoad"]["p99"], peer["parleyLoad"]["p99"])}


def ratio(value, base):
    return None if value is None or not base else value / base


def rows_for(results, point):
    limit = results.get(LIMIT, {}).get("points", {}).get(point)
    send_limit = results.get(SEND_LIMIT, {}).get("points", {}).get(point)
    rows = []
    for name, result in results.items():
        figures = result["points"].get(point)
        if not figures:
            continue
        load, probe = figures["parleyLoad"], figures["cClient"]
        cpu = probe.get("serverCpuMicrosPerDelivery")
        rows.append({
            "server": name,
            "p50": load["p50"] / 1000, "p99": load["p99"] / 1000,
            "C p50": probe["p50"] / 1000, "C p99": probe["p99"] / 1000,
            "µs/deliv": cpu,
            "C received": f"{probe['received']}/{probe['expected']}",
            "lost": lost(figures),
            "p99 ×limit": ratio(probe["p99"], limit["cClient"]["p99"]) if limit else None,
            "CPU ×limit": ratio(cpu, limit["cClient"].get("serverCpuMicrosPerDelivery")) if limit else None,
            "p99 ×send": ratio(probe["p99"], send_limit["cClient"]["p99"]) if send_limit else None,
            "CPU ×send": ratio(cpu, send_limit["cClient"].get("serverCpuMicrosPerDelivery")) if send_limit else None,
            "parley-load": load["validity"],
        })
    return rows


def table(rows):
    def cell(value):
        if value is None:
            return "-"
        return f"{value:.2f}" if isinstance(value, float) else str(value)
    headers = list(rows[0].keys())
    widths = [max(len(h), *(len(cell(row.get(h))) for row in rows)) for h in headers]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(cell(row.get(h)).rjust(w) for h, w in zip(headers, widths)) for row in rows]
    return lines, headers, cell


def write_outputs(results, points, out):
    os.makedirs(out, exist_ok=True)
    text, sections, verdicts = [], [], {}
    peers = [name for name in results if name not in LIMITS and not name.startswith(PARLEY)]  # parley-nio: Parley too
    for point in points:
        rows = rows_for(results, point)
        if not rows:
            continue
        lines, headers, cell = table(rows)
        text += ["", describe(points[point]) + "  — p50/p99 in ms by parley-load, then by the C client", *lines]
        judged = {}
        if PARLEY in results and point in results[PARLEY]["points"]:
            for peer in peers:
                if point in results[peer]["points"]:
                    judged[peer] = verdict(results[PARLEY]["points"][point], results[peer]["points"][point])
                    v = judged[peer]
                    text.append(f"  Parley vs {peer}: {'AHEAD' if v['ahead'] else 'not ahead'} — p99 {v['p99']}, "
                                f"CPU per delivery {v['cpu']} (C client); p99 {v['p99 (parley-load)']} (parley-load)")
        verdicts[point] = judged
        sections.append((describe(points[point]), headers, rows, judged, cell))
    every = [(point, peer) for point, judged in verdicts.items() for peer in judged]
    ahead = sum(verdicts[point][peer]["ahead"] for point, peer in every)
    summary = f"Parley ahead of a peer (p99 and CPU per delivery, C client, nothing lost) at {ahead} of {len(every)} point×peer pairs"
    worst = [row for point in points for row in rows_for(results, point) if row["server"] == PARLEY]
    if worst and any(row["p99 ×limit"] for row in worst):
        summary += (f"; Parley's p99 at most {max(row['p99 ×limit'] or 0 for row in worst):.2f}× and CPU per delivery at most "
                    f"{max(row['CPU ×limit'] or 0 for row in worst):.2f}× the io_uring limit server's")
    text += ["", summary]
    capacity_lines = capacity_table(results)
    text += capacity_lines
    print("\n".join(text))
    with open(os.path.join(out, "compare-servers.txt"), "w") as f:
        f.write("\n".join(text) + "\n")
    with open(os.path.join(out, "compare-servers.json"), "w") as f:
        json.dump({"points": {p: dict(zip(("clients", "publishers", "rate"), points[p])) for p in points},
                   "verdicts": verdicts, "summary": summary, "raw": results}, f, indent=2)
    with open(os.path.join(out, "compare-servers.html"), "w") as f:
        f.write(html_report(sections, summary, capacity_lines))
    print(f"written: {out}/compare-servers.{{txt,json,html}}")


def capacity_table(results):
    """Sustained deliveries/s (parley-load's search, 1,000 clients × 10 publishers) and memory per
    idle connection at 10,000, where measured."""
    lines = []
    for name, result in results.items():
        if "capacity" not in result:
            continue
        best = result["capacity"]
        rate = f"{'>= ' if best and best.get('atLeast') else ''}{best['deliveriesPerSecond'] if best else 0:,.0f}"
        idle = result.get("idle10k") or {}
        memory = f"{idle['rssPerConnection'] / 1024:.1f} KiB" if idle.get("rssPerConnection") else "-"
        lines.append(f"  {name:10s} sustained {rate:>10s} deliveries/s within p99 100 ms; {memory} per idle connection (10k)")
    return ["", "Capacity (parley-load) and memory:", *lines] if lines else []


def html_report(sections, summary, capacity_lines):
    parts = ["""<!doctype html><meta charset="utf-8"><title>Parley beside its peers</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:.5em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}.ahead{color:#070}.behind{color:#b00}
tr.parley{font-weight:bold}</style>
<h1>Parley beside its peers and the limit</h1>
<p>Same machine, same run; each server pinned to one core, the load on the other. Every point is measured by
parley-load (first p50/p99) and by the independent C client (Benchmarks/reference/probe-client.c, "C p50/p99");
where they differ, the C client's figure is the server's. CPU per delivery is the server's CPU over the C client's
timed window, per delivery. "×limit" is to the C limit server with each broadcast's sends as one io_uring
submission (c-limit-uring), "×send" to the same server with one <code>send()</code> per recipient (c-limit).</p>"""]
    for title, headers, rows, judged, cell in sections:
        parts.append(f"<h2>{html.escape(title)}</h2><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>")
        for row in rows:
            css = ' class="parley"' if row["server"] == PARLEY else ""
            parts.append(f"<tr{css}>" + "".join(f"<td>{html.escape(cell(row.get(h)))}</td>" for h in headers) + "</tr>")
        parts.append("</table><ul>")
        for peer, v in judged.items():
            css = "ahead" if v["ahead"] else "behind"
            parts.append(f'<li class="{css}">Parley vs {html.escape(peer)}: {"ahead" if v["ahead"] else "not ahead"} — '
                         f'p99 {html.escape(v["p99"])}, CPU per delivery {html.escape(v["cpu"])} (C client); '
                         f'p99 {html.escape(v["p99 (parley-load)"])} (parley-load)</li>')
        parts.append("</ul>")
    parts.append(f"<p><b>{html.escape(summary)}</b></p>")
    if capacity_lines:
        parts.append("<pre>" + html.escape("\n".join(capacity_lines)) + "</pre>")
    return "\n".join(parts)
