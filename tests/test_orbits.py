"""TLE reading, selection, epoch checks, batch SGP4 and exclusion of failing satellites."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sgp4.api import Satrec

from spaceground.errors import (
    ExcludedSatelliteWarning,
    SelectionError,
    StaleElementsError,
    StaleElementsWarning,
    TLEFormatError,
)
from spaceground.orbits import (
    check_epochs,
    load_tle,
    parse_tle,
    propagate_points,
    propagate_teme,
    tle_checksum,
)
from spaceground.timebase import Span

ISS = (
    "ISS (ZARYA)",
    "1 25544U 98067A   24259.04042691 -.00020782  00000+0 -36841-3 0  9993",
    "2 25544  51.6359 230.2949 0007613 354.9391  85.5828 15.49088255472489",
)


def with_checksum(line):
    return line[:68] + str(tle_checksum(line))


def test_checksum_matches_published_lines():
    # The published ISS lines end with their checksum digits 3 and 9.
    assert tle_checksum(ISS[1]) == 3
    assert tle_checksum(ISS[2]) == 9


def test_reads_three_line_file(eo_tle):
    c = load_tle(eo_tle)
    assert len(c) == 50
    assert c[0].name == "SENTINEL-1A"
    assert c[0].norad_id == 39634
    # Epoch 25276.63618895 -> 2025-10-03 15:16:06.725 UTC (the catalogue CSV says so too).
    assert abs((c[0].epoch - pd.Timestamp("2025-10-03T15:16:06.725Z")).total_seconds()) < 1e-3
    catalogue = pd.read_csv(eo_tle.replace(".tle", "_catalog.csv"))
    assert list(catalogue.norad_id) == list(c.norad_ids)


def test_reads_two_line_sets_and_space_track_names():
    two = parse_tle("\n".join(ISS[1:]))
    assert two[0].name == "NORAD 25544"
    named = parse_tle("\n".join(["0 ISS (ZARYA)", ISS[1], ISS[2]]))
    assert named[0].name == "ISS (ZARYA)"


def test_comments_and_blank_lines_are_skipped():
    c = parse_tle("# a comment\n\n" + "\n".join(ISS) + "\n\n")
    assert c.names == ["ISS (ZARYA)"]


def test_bad_checksum_names_file_and_line():
    bad = ISS[2][:68] + "0"
    with pytest.raises(TLEFormatError, match=r"iss.tle, line 3: bad checksum: TLE line 2 ends with 0 .* sum to 9"):
        parse_tle("\n".join([ISS[0], ISS[1], bad]), source="iss.tle")


def test_shifted_field_is_a_wrong_column():
    shifted = with_checksum(ISS[2][:8] + " " + ISS[2][8:67] + "9")
    with pytest.raises(TLEFormatError, match=r"line 3: wrong column: column 17 of TLE line 2 must be blank"):
        parse_tle("\n".join([ISS[0], ISS[1], shifted]), source="x.tle")


def test_truncated_lines_and_records():
    with pytest.raises(TLEFormatError, match=r"line 3: truncated record: TLE line 2 has 60 characters"):
        parse_tle("\n".join([ISS[0], ISS[1], ISS[2][:60]]))
    with pytest.raises(TLEFormatError, match=r"line 2: truncated record: TLE line 1 must be followed by line 2"):
        parse_tle("\n".join([ISS[0], ISS[1]]))
    with pytest.raises(TLEFormatError, match=r"line 1: truncated record: name line 'ISS \(ZARYA\)' has no TLE lines"):
        parse_tle(ISS[0])
    with pytest.raises(TLEFormatError, match=r"line 2: expected TLE line 1 after the name line"):
        parse_tle("\n".join(["FIRST", "SECOND", ISS[1], ISS[2]]))
    with pytest.raises(TLEFormatError, match=r"line 1: TLE line 2 without a line 1"):
        parse_tle(ISS[2])


def test_non_numeric_field_and_mismatched_satellite_number():
    bad = with_checksum(ISS[2][:8] + " 51.6X59" + ISS[2][16:])
    with pytest.raises(TLEFormatError, match=r"columns 9-16 \(inclination \[deg\]\) of TLE line 2 hold ' 51.6X59'"):
        parse_tle("\n".join([ISS[0], ISS[1], bad]))
    other = with_checksum(ISS[2][:2] + "25545" + ISS[2][7:])
    with pytest.raises(TLEFormatError, match="line 2 is for satellite '25545' but line 1 is for '25544'"):
        parse_tle("\n".join([ISS[0], ISS[1], other]))


def test_non_ascii_file(tmp_path):
    path = tmp_path / "bad.tle"
    path.write_bytes(("\n".join(ISS) + "\nSAT\u00e9\n").encode("utf-8"))
    with pytest.raises(TLEFormatError, match=r"bad.tle, line 4: non-ASCII byte"):
        load_tle(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="TLE file not found: .*nope.tle"):
        load_tle(tmp_path / "nope.tle")


def test_repeated_satellite_keeps_newest_epoch_with_warning():
    older = with_checksum(ISS[1].replace("24259.04042691", "24258.04042691"))
    text = "\n".join([ISS[0], older, ISS[2], ISS[0], ISS[1], ISS[2]])
    with pytest.warns(UserWarning, match="1 repeated element sets"):
        c = parse_tle(text)
    assert len(c) == 1 and c[0].line1 == ISS[1]


def test_selection_by_glob_and_id(eo_tle):
    c = load_tle(eo_tle)
    s2 = c.select(["sentinel-2*"])
    assert s2.names == ["SENTINEL-2A", "SENTINEL-2B", "SENTINEL-2C"]
    both = c.select(["39084", "SENTINEL-2A", "LANDSAT*"])
    assert both.names == ["SENTINEL-2A", "LANDSAT 8", "LANDSAT 9"]  # file order, no repeats
    with pytest.raises(SelectionError, match="'SENTINAL-2A' matches no satellite among 50; closest names: SENTINEL-2A"):
        c.select(["SENTINAL-2A"])


def test_stale_epochs_warn_then_fail_unless_allowed(eo_tle):
    c = load_tle(eo_tle).select(["SENTINEL-2A"])
    epoch = c[0].epoch
    assert abs(check_epochs(c, epoch + pd.Timedelta(hours=12))[0] - 0.5) < 1e-9
    with pytest.warns(StaleElementsWarning, match=r"more than 3 days .* \+5.0 days"):
        check_epochs(c, epoch + pd.Timedelta(days=5))
    with pytest.raises(StaleElementsError, match=r"more than 14 days .*SENTINEL-2A \(\+30.0 d\).*--allow-stale"):
        check_epochs(c, epoch + pd.Timedelta(days=30))
    with pytest.warns(StaleElementsWarning):
        age = check_epochs(c, epoch - pd.Timedelta(days=30), allow_stale=True)
    assert age[0] == pytest.approx(-30.0)


def test_batch_sgp4_equals_single_satellite_sgp4(eo_tle):
    c = load_tle(eo_tle)[:5]
    span = Span.from_hours("2025-10-03T12:00:00Z", 2)
    t = np.linspace(0, 7200, 13)
    jd_w, jd_f = span.jd_utc(t)
    r, v, err = propagate_teme(c, jd_w, jd_f)
    assert r.shape == (5, 13, 3) and not err.any()
    for i, sat in enumerate(c):
        s = Satrec.twoline2rv(sat.line1, sat.line2)
        e, rr, vv = s.sgp4_array(jd_w, jd_f)
        np.testing.assert_allclose(r[i], rr * 1e3, rtol=0, atol=1e-6)
        np.testing.assert_allclose(v[i], vv * 1e3, rtol=0, atol=1e-9)
    # Scattered points give the same states as the batch.
    idx = np.array([4, 0, 2, 0])
    k = np.array([1, 5, 12, 0])
    rp, vp, ep = propagate_points(c, idx, jd_w[k], jd_f[k])
    np.testing.assert_allclose(rp, r[idx, k], atol=1e-6)
    np.testing.assert_allclose(vp, v[idx, k], atol=1e-9)


DECAYING = (
    "DECAYING TEST SAT",
    "1 99001U 24001A   25276.50000000  .05000000  00000-0  50000-2 0  9995",
    "2 99001  51.6000 100.0000 0005000  90.0000 270.0000 16.30000000 10008",
)
UNDERGROUND = (
    "UNDERGROUND TEST SAT",
    "1 99002U 24001B   25276.50000000  .00000000  00000-0  00000-0 0  9994",
    "2 99002  63.4000 100.0000 9900000 270.0000  10.0000  2.00000000 10007",
)


def test_failing_satellites_are_reported_and_left_out(eo_tle):
    from spaceground.api import geometry

    text = open(eo_tle).read().splitlines()[:6] + list(DECAYING) + list(UNDERGROUND)
    c = parse_tle("\n".join(text), source="mixed.tle")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        geo = geometry(c, start="2025-10-03T12:00:00Z", hours=24, stations=["SVALBARD"])
    excluded = geo.excluded.set_index("norad_id")
    assert set(excluded.index) == {99001, 99002}
    assert "eccentricity" in excluded.loc[99001, "reason"]
    assert excluded.loc[99001, "first_failure_utc"] > pd.Timestamp("2025-10-04T00:00:00Z")
    assert "decayed" in excluded.loc[99002, "reason"]
    assert set(geo.contacts.norad_id) == {39634, 62261}
    assert set(geo.eclipses.norad_id) <= {39634, 62261}
    messages = [str(w.message) for w in caught if issubclass(w.category, ExcludedSatelliteWarning)]
    assert len(messages) == 2 and any("DECAYING TEST SAT (NORAD 99001) left out" in m for m in messages)
