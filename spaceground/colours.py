"""Colours shared by the figures and the CZML scene (no plotting library needed).

A satellite keeps its colour in every figure and in the 3-D scene: the colours are given in the
order of the run's ``satellites`` table.
"""

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any common colour-vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# Paul Tol's "muted" scheme (https://personal.sron.nl/~pault/), also colour-blind safe: the next nine satellites.
TOL_MUTED = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499")
SATELLITE_PALETTE = OKABE_ITO + TOL_MUTED
GREY = "#BBBBBB"


def satellite_colours(names) -> dict:
    """One colour per satellite, in the order given (use the run's ``satellites`` table for stable colours);
    17 distinct colours, repeating beyond."""
    return {name: SATELLITE_PALETTE[k % len(SATELLITE_PALETTE)] for k, name in enumerate(dict.fromkeys(names))}
