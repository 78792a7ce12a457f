"""Figures of the suites: PNG files drawn on matplotlib's Agg canvas.

matplotlib is imported inside the functions, so the suites import this module
without it (it comes with the ``bench`` extra). The figures are built on
:class:`matplotlib.figure.Figure` directly, never through ``pyplot``: no global
state, no display backend. Every value list holds one number per seed; bars and
points show the mean, error bars the standard deviation (ddof=1), as the tables.
"""

import textwrap

import numpy as np

PANEL_WIDTH = 5.2
PANEL_HEIGHT = 3.6
GROUP_WIDTH = 1.0  # inches per group of bars, at the least


def _panels(widths, height=PANEL_HEIGHT):
    """A figure with one row of panels of the given widths (inches)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(sum(widths), height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(widths), squeeze=False, width_ratios=widths)
    return figure, axes[0]


def _mean_std(values):
    values = np.asarray(values, dtype=float)
    return values.mean(), values.std(ddof=1) if len(values) > 1 else 0.0


def _wrap(label, width=14):
    return "\n".join(textwrap.fill(line, width) for line in label.split("\n"))


def _save(figure, path):
    figure.savefig(path, dpi=110, metadata={"Software": None})
    return path


def grouped_bars(
    path, panels, *, ylabel, zero_based=True, reference=None, legend_columns=1
):
    """Grouped bar charts, one panel per item of ``panels``.

    Parameters
    ----------
    path : path-like
        PNG file to write.
    panels : dict
        ``{panel title: {group (x tick): {series (bar colour): values}}}``; a
        series missing from a group leaves a gap.
    ylabel : str
    zero_based : bool, default=True
        Start the y axis at 0; otherwise just below the lowest bar, so that
        differences between scores such as AUCs stay visible.
    reference : float, optional
        Draw a horizontal line at this value (e.g. 1 for ratios).
    legend_columns : int, default=1
    """
    # Wider panels for many groups, so that the tick labels stay apart.
    figure, axes = _panels(
        [max(PANEL_WIDTH, GROUP_WIDTH * len(groups)) for groups in panels.values()]
    )
    series = list(
        dict.fromkeys(
            name
            for groups in panels.values()
            for bars in groups.values()
            for name in bars
        )
    )
    colours = {name: f"C{k}" for k, name in enumerate(series)}
    lows = []
    for ax, (title, groups) in zip(axes, panels.items()):
        width = 0.8 / len(series)
        positions = np.arange(len(groups))
        for k, name in enumerate(series):
            stats = [
                _mean_std(bars[name]) if name in bars else (np.nan, 0.0)
                for bars in groups.values()
            ]
            means, stds = np.array(stats).T
            ax.bar(
                positions + (k - (len(series) - 1) / 2) * width,
                means,
                width,
                yerr=stds,
                capsize=2,
                color=colours[name],
                label=name,
            )
            lows.append(np.nanmin(means - stds))
        ax.set_xticks(positions, [_wrap(group) for group in groups])
        if reference is not None:
            ax.axhline(reference, color="black", linewidth=0.8)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)
    if not zero_based:
        bottom = max(0.0, np.floor(20 * (min(lows) - 0.02)) / 20)
        for ax in axes:
            ax.set_ylim(bottom=bottom)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=legend_columns,
        fontsize="small",
    )
    return _save(figure, path)


def curves(path, panels, *, xlabel, ylabel, log_x=True):
    """Line plots with error bars, one panel per item of ``panels``.

    ``panels`` is ``{panel title: {series: {x: values}}}``.
    """
    figure, axes = _panels([PANEL_WIDTH] * len(panels))
    for ax, (title, lines) in zip(axes, panels.items()):
        ticks = set()
        for k, (name, points) in enumerate(lines.items()):
            xs = sorted(points)
            means, stds = np.array([_mean_std(points[x]) for x in xs]).T
            # Series side by side around each x, so that error bars stay apart.
            dodge = 1.025 ** (k - (len(lines) - 1) / 2) if log_x else 1.0
            ax.errorbar(
                np.asarray(xs, dtype=float) * dodge,
                means,
                yerr=stds,
                marker="o",
                capsize=2,
                label=name,
                color=f"C{k}",
            )
            ticks.update(xs)
        if log_x:
            ax.set_xscale("log")
        ax.set_xticks(sorted(ticks), [str(x) for x in sorted(ticks)])
        ax.minorticks_off()
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right center", fontsize="small")
    return _save(figure, path)
