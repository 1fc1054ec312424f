"""Colours shared by the figures and the CZML scene (no plotting library needed).

A satellite keeps its colour in every figure and in the 3-D scene: the colours are given in the
order of the run's ``satellites`` table.
"""

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any common colour-vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# Paul Tol's "muted" and "light" schemes (https://personal.sron.nl/~pault/), colour-blind safe: the satellites.
TOL_MUTED = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499")
TOL_LIGHT = ("#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00")
GREY = "#BBBBBB"
# Kinds of activity and places in the figures: captures, laser sessions, stations and backhaul (black), onboard
# jobs and data centres (vermillion), shadow (grey), target sites (dark grey); the other kinds (ground energy,
# busy servers, prices, policies) take Okabe & Ito's colours. The satellites take Tol's, none of these, so that a
# colour never means both a satellite and a kind of thing (tests/test_figure_checks.py).
ACTIVITY_COLOURS = {
    "capture": "#000000",
    "onboard": "#D55E00",
    "datacenter": "#D55E00",
    "shadow": "#999999",
    "target": "#555555",
    "unknown satellite": GREY,
}
SATELLITE_PALETTE = TOL_MUTED + TOL_LIGHT


def satellite_colours(names) -> dict:
    """One colour per satellite, in the order given (use the run's ``satellites`` table for stable colours);
    17 distinct colours, none of :data:`ACTIVITY_COLOURS` or :data:`OKABE_ITO`, repeating beyond."""
    return {name: SATELLITE_PALETTE[k % len(SATELLITE_PALETTE)] for k, name in enumerate(dict.fromkeys(names))}
