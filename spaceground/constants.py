"""Physical constants, SI units, each with its source.

Names carry their units. Nothing here depends on anything else in the package.
"""

# WGS 84 reference ellipsoid: NIMA TR8350.2, 3rd edition (2000), table 3.1.
WGS84_EQUATORIAL_RADIUS_M = 6378137.0
WGS84_FLATTENING = 1.0 / 298.257223563
WGS84_ECCENTRICITY_SQ = WGS84_FLATTENING * (2.0 - WGS84_FLATTENING)

# Radius of the spherical Earth used by the conical shadow model: the WGS 84
# equatorial radius (conservative: the shadow is at most 21 km too wide at the poles).
SHADOW_EARTH_RADIUS_M = WGS84_EQUATORIAL_RADIUS_M

# Nominal solar radius: IAU 2015 Resolution B3 (Prsa et al. 2016, AJ 152:41).
SUN_RADIUS_M = 6.957e8

# Earth's nominal mean angular velocity: IERS Conventions (2010), TN 36, section 1.2.
EARTH_ROTATION_RAD_S = 7.292115e-5

# Earth's gravitational parameter GM of WGS 84: NIMA TR8350.2, 3rd edition (2000), table 3.1.
WGS84_MU_M3_S2 = 3.986004418e14

# Gravitational parameter of the WGS 72 model used by SGP4 (Vallado et al. 2006,
# AIAA 2006-6753, "Revisiting Spacetrack Report #3", section on constants).
SGP4_WGS72_MU_M3_S2 = 3.986008e14

SECONDS_PER_DAY = 86400.0
SECONDS_PER_HOUR = 3600.0
ARCSEC_TO_RAD = 4.84813681109536e-06  # pi / (180 * 3600)

# The Celsius zero on the kelvin scale (SI Brochure, 9th edition 2019, section 2.3.1).
ZERO_CELSIUS_K = 273.15
