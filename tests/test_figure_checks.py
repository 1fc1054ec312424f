"""Figures that do not mislead, checked on a drawn run: a colour never means both a satellite and a kind of
thing, a figure showing some satellites says how many of how many, no legend lies over a plot, the targets are
on the map."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")
from matplotlib.colors import to_hex  # noqa: E402

from spaceground.api import run_scenario  # noqa: E402
from spaceground.plotting import figures_of  # noqa: E402
from spaceground.results import read_run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("figs") / "run")
    run_scenario(os.path.join(ROOT, "scenarios", "quickstart.yaml"), policy="lookahead", output=out)
    figs = figures_of(out)
    for fig in figs.values():
        fig.canvas.draw()
    return read_run(out), figs


def _legend_entries(fig):
    """(label, colour) of every legend entry of a figure."""
    out = []
    for ax in fig.axes:
        for legend in [ax.get_legend(), *[a for a in ax.artists if isinstance(a, matplotlib.legend.Legend)]]:
            if legend is None:
                continue
            for handle, text in zip(legend.legend_handles, legend.get_texts()):
                if isinstance(handle, matplotlib.lines.Line2D):
                    colour = handle.get_color()
                else:
                    face = handle.get_facecolor()
                    colour = handle.get_edgecolor() if face[3] == 0 else face
                out.append((text.get_text(), to_hex(colour)))
    return out


def test_no_colour_means_both_a_satellite_and_a_kind_of_thing(drawn):
    res, figs = drawn
    satellites = set(res.scene["satellites"].satellite)
    by_satellite, by_kind = {}, {}
    for name, fig in figs.items():
        for label, colour in _legend_entries(fig):
            (by_satellite if label in satellites else by_kind).setdefault(colour, set()).add(f"{name}: {label}")
    shared = set(by_satellite) & set(by_kind)
    assert not shared, {c: (by_satellite[c], by_kind[c]) for c in shared}
    assert len(by_satellite) == len(satellites)  # and every satellite its own colour


def _texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out.append(ax.get_title())
        legend = ax.get_legend()
        if legend is not None:
            out.append(legend.get_title().get_text())
    return " ".join(out)


def test_a_figure_that_shows_some_satellites_says_how_many_of_how_many(drawn):
    res, figs = drawn
    satellites = set(res.scene["satellites"].satellite)
    for name, fig in figs.items():
        shown = {label for label, _ in _legend_entries(fig) if label in satellites}
        for ax in fig.axes:
            shown |= {t.get_text() for t in ax.get_yticklabels()} & satellites
        if shown and shown < satellites:
            text = _texts(fig)
            assert f"of {len(satellites)}" in text or f"+{len(satellites) - len(shown)} more" in text, (name, text)


def test_no_legend_lies_over_a_plot(drawn):
    _, figs = drawn
    for name, fig in figs.items():
        renderer = fig.canvas.get_renderer()
        boxes = [ax.get_window_extent(renderer) for ax in fig.axes]
        for ax in fig.axes:
            legends = [ax.get_legend(), *[a for a in ax.artists if isinstance(a, matplotlib.legend.Legend)]]
            for legend in filter(None, legends):
                box = legend.get_window_extent(renderer)
                for other in boxes:
                    inter = box.intersection(box, other)
                    overlap = 0.0 if inter is None else inter.width * inter.height
                    assert overlap < 1.0, (name, [t.get_text() for t in legend.get_texts()][:3])


def test_the_map_shows_every_target_site(drawn):
    res, figs = drawn
    targets = res.scene["targets"].drop_duplicates(["lat_deg", "lon_deg"])
    assert len(targets) > 0
    ax = figs["ground_map"].axes[0]
    (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("target (")]
    assert line.get_label() == f"target ({len(targets)})"
    assert sorted(zip(line.get_xdata(), line.get_ydata())) == sorted(zip(targets.lon_deg, targets.lat_deg))


def test_policies_whose_curves_coincide_are_still_told_apart():
    # Three policies with the same times to product: their curves lie on each other, so colour alone would show
    # one line; each also has its own dash.
    import pandas as pd

    from spaceground.interactive import POLICY_DASHES
    from spaceground.plotting import latency_cdf

    rows = [(p, 60.0 * k, 7200.0, True) for p in ("a", "b", "c") for k in range(1, 20)]
    fig = latency_cdf(pd.DataFrame(rows, columns=["policy", "latency_s", "deadline_s", "deadline_met"]))
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label()[0] in "abc"]
    assert len(lines) == 3 and len({(to_hex(ln.get_color()), ln.get_linestyle()) for ln in lines}) == 3
    assert len({ln.get_linestyle() for ln in lines}) == 3
    assert len(set(POLICY_DASHES)) == len(POLICY_DASHES)  # the report's curves: one dash each, in turn
