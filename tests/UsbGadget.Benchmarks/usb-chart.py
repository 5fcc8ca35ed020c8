#!/usr/bin/python3
"""Draws the USB benchmark sweep: usb-chart.py RESULTS.json OUT.png (run by 'UsbGadget.Benchmarks usb').

Top row: throughput over request size at queue depth 8, one panel per direction, one line per implementation.
Bottom row: throughput over queue depth at 16 KiB. Needs Debian's python3-matplotlib.
"""
import json
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("usb-chart.py needs matplotlib: apt-get install -y python3-matplotlib")

results = json.load(open(sys.argv[1]))
sweep = results["sweep"]
labels = results["labels"]
styles = {
    "kernel": dict(color="#555555", marker="s", linestyle="--"),
    "c": dict(color="#1f77b4", marker="o"),
    "ours": dict(color="#d62728", marker="^"),
    "bulkloopback": dict(color="#ff9896", marker="v", linestyle=":"),
}
titles = {"in": "IN (device → host)", "out": "OUT (host → device)", "loopback": "loopback (bytes back on IN)"}


def size_label(size):
    return f"{size // 1024} KiB" if size >= 1024 else f"{size} B"


fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
for column, mode in enumerate(["in", "out", "loopback"]):
    for row, (fixed, varying) in enumerate([("depth", "size"), ("size", "depth")]):
        ax = axes[row][column]
        fixed_value = 8 if fixed == "depth" else 16384
        for impl in ["kernel", "c", "ours", "bulkloopback"]:
            points = sorted((p[varying], p["mbps"]) for p in sweep
                            if p["mode"] == mode and p["implementation"] == impl and p[fixed] == fixed_value and p["mbps"] is not None)
            if len(points) > 0:
                ax.plot([x for x, _ in points], [y for _, y in points], label=labels.get(impl, impl), **styles[impl])
        ax.set_xscale("log", base=2)
        xs = sorted({p[varying] for p in sweep if p[fixed] == fixed_value})
        ax.set_xticks(xs)
        ax.set_xticklabels([size_label(x) if varying == "size" else str(x) for x in xs])
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("request size (queue depth 8)" if varying == "size" else "queue depth (16 KiB requests)")
        if column == 0:
            ax.set_ylabel("MB/s")
        if row == 0:
            ax.set_title(titles[mode])
        if row == 0 and column == 2:
            ax.legend(loc="upper left")
fig.suptitle(f"UsbGadget USB benchmark: one VM boot, dummy_hcd SuperSpeed, kernel {results['kernel']}, "
             f"{results['profile']} profile (software emulation: compare lines, not absolute MB/s)", fontsize=11)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=90)
