"""The packaged station catalogue and station CSV files."""

import pytest

from spaceground.errors import InputError, SelectionError
from spaceground.stations import default_catalogue, read_stations_csv, resolve_stations


def test_default_catalogue_has_the_21_real_sites():
    stations = default_catalogue()
    assert len(stations) == 21
    by_id = {s.station_id: s for s in stations}
    assert by_id["SVALBARD"].lat_deg == pytest.approx(78.229772)
    assert by_id["LIJIANG"].alt_m == 2827
    assert all(s.min_elevation_deg == 10.0 for s in stations)
    assert {"KASHI", "MIYUN", "SANYA"} <= set(by_id)


def test_resolve_ids_masks_and_suggestions():
    picked = resolve_stations(["svalbard", "KIRUNA,TROLL"], min_elevation_deg=5)
    assert [s.station_id for s in picked] == ["SVALBARD", "KIRUNA", "TROLL"]
    assert all(s.min_elevation_deg == 5 for s in picked)
    with pytest.raises(SelectionError, match="'SVALBAD' is neither a CSV file nor an id.*did you mean SVALBARD"):
        resolve_stations(["SVALBAD"])
    with pytest.raises(SelectionError, match="given twice"):
        resolve_stations(["KIRUNA", "kiruna"])


def test_csv_with_extra_columns_and_masks(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "station_id,name,lat_deg,lon_deg,alt_m,min_elevation_deg,operator\n"
        "HOME,Home dish,52.0,4.4,10,5,me\nROOF,,48.1,11.6,500,,me\n"
    )
    stations = read_stations_csv(path)
    assert [(s.station_id, s.min_elevation_deg) for s in stations] == [("HOME", 5.0), ("ROOF", 10.0)]
    assert resolve_stations([str(path), "MIYUN"])[2].station_id == "MIYUN"


@pytest.mark.parametrize(
    "body, message",
    [
        ("station_id,lat_deg,lon_deg\nA,1,2\n", r"line 1: missing column\(s\) alt_m"),
        ("station_id,lat_deg,lon_deg,alt_m\nA,north,2,0\n", r"line 2: column 'lat_deg' holds 'north', not a number"),
        ("station_id,lat_deg,lon_deg,alt_m\nA,95,2,0\n", r"line 2: station 'A': lat_deg = 95.0 is outside -90..90"),
        ("station_id,lat_deg,lon_deg,alt_m\nA,1,2,0\nA,1,3,0\n", r"line 3: station_id 'A' repeats line 2"),
        ("station_id,lat_deg,lon_deg,alt_m,min_elevation_deg\nA,1,2,0,95\n", r"min_elevation_deg = 95.0 is outside"),
        ("station_id,lat_deg,lon_deg,alt_m\n", "no stations in the file"),
    ],
)
def test_bad_station_files_name_file_line_and_column(tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(InputError, match=message) as info:
        read_stations_csv(path)
    assert "bad.csv" in str(info.value)
