"""``geo.paths.osm_path``: the one check every OSM file named in a problem goes through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.paths import osm_path
from optimiser.io import InputError

FIELD = "travel.road_network.osm_file"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An allowed folder holding one extract, a secret file outside it, and HOME set to
    the allowed folder: were ``~`` or ``$HOME`` expanded, they would lead inside."""
    allowed = tmp_path / "extracts"
    allowed.mkdir()
    (allowed / "town.osm.pbf").write_bytes(b"pbf")
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.osm.pbf").write_bytes(b"secret")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(allowed))
    return allowed, outside


def _refused(value: str, allowed: list[Path] | None, *fragments: str) -> str:
    with pytest.raises(InputError) as err:
        osm_path(value, allowed)
    message = str(err.value)
    assert message.startswith(f"{FIELD}: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    return message


def test_a_file_in_an_allowed_folder_is_accepted(server: tuple[Path, Path]) -> None:
    allowed, _ = server
    assert osm_path(str(allowed / "town.osm.pbf"), [allowed]) == (allowed / "town.osm.pbf").resolve()
    # also through a relative path and a '..' that stays inside
    os.chdir(allowed)
    assert osm_path("sub/../town.osm.pbf", [allowed]) == (allowed / "town.osm.pbf").resolve()


def test_allowed_folders_are_resolved_too(server: tuple[Path, Path], tmp_path: Path) -> None:
    allowed, _ = server
    (tmp_path / "link-to-extracts").symlink_to(allowed)
    assert osm_path(str(allowed / "town.osm.pbf"), [tmp_path / "link-to-extracts"]).name == "town.osm.pbf"


@pytest.mark.parametrize("name", ["secret.osm.pbf", "missing.osm.pbf", ".", "../extracts2/x.osm.pbf"])
def test_outside_is_refused_alike_for_existing_and_missing_files(server: tuple[Path, Path], name: str) -> None:
    allowed, outside = server
    value = str(outside / name)
    message = _refused(value, [allowed], "is not one of this server's OSM extracts", "CAREROTA_OSM_DIRS")
    # nothing tells whether the file exists or what it is
    assert message == f"{FIELD}: {value!r} is not one of this server's OSM extracts (the operator lists the allowed folders in CAREROTA_OSM_DIRS)"


def test_system_files_are_refused_with_the_same_message(server: tuple[Path, Path]) -> None:
    allowed, _ = server
    shown = {
        _refused(v, [allowed]).replace(repr(v), "<path>") for v in ("/etc/passwd", "/etc/no-such-file", "/dev/zero")
    }
    assert len(shown) == 1


@pytest.mark.parametrize("value", ["$HOME/town.osm.pbf", "${HOME}/town.osm.pbf", "~/town.osm.pbf", "~root/x.osm.pbf"])
def test_no_expansion_of_variables_or_home(server: tuple[Path, Path], value: str) -> None:
    allowed, _ = server
    _refused(value, [allowed], "is not one of this server's OSM extracts")
    # without allowed folders, the value is taken literally: relative to the working folder
    assert osm_path(value) == Path.cwd().resolve() / value


def test_a_symlink_inside_an_allowed_folder_leading_out_is_refused(server: tuple[Path, Path]) -> None:
    allowed, outside = server
    (allowed / "escape.osm.pbf").symlink_to(outside / "secret.osm.pbf")
    (allowed / "dir-escape").symlink_to(outside)
    _refused(str(allowed / "escape.osm.pbf"), [allowed], "is not one of this server's OSM extracts")
    _refused(str(allowed / "dir-escape" / "secret.osm.pbf"), [allowed], "is not one of this server's OSM extracts")
    # a symlink that stays inside is fine
    (allowed / "alias.osm.pbf").symlink_to(allowed / "town.osm.pbf")
    assert osm_path(str(allowed / "alias.osm.pbf"), [allowed]) == (allowed / "town.osm.pbf").resolve()


def test_a_symlink_loop_is_refused_without_saying_so(server: tuple[Path, Path]) -> None:
    allowed, outside = server
    (outside / "loop").symlink_to(outside / "loop")
    _refused(str(outside / "loop"), [allowed], "is not one of this server's OSM extracts")


@pytest.mark.parametrize("allowed_dirs", [None, "server"])
@pytest.mark.parametrize(
    "value, fragment",
    [
        ("town\x00.osm.pbf", "control character '\\x00'"),
        ("town.osm.pbf\n", "control character '\\n'"),
        ("x" * 5000, "5,000 characters long; at most 1,024"),
        ("a/" + "y" * 300 + "/town.osm.pbf", "a folder or file name of 300 characters"),
        ("y" * 300 + ".osm.pbf", "a folder or file name of 308 characters"),
        ("é" * 200, "a folder or file name of 200 characters; at most 255 bytes"),
        ("", "the path is empty"),
    ],
    ids=["NUL", "newline", "5000 characters", "300-character folder", "300-character file", "400 bytes", "empty"],
)
def test_malformed_paths_are_refused_before_the_disk_is_touched(
    server: tuple[Path, Path], value: str, fragment: str, allowed_dirs: str | None
) -> None:
    allowed, _ = server
    _refused(value, [allowed] if allowed_dirs else None, fragment)


def test_a_nul_inside_an_allowed_folder_is_still_refused(server: tuple[Path, Path]) -> None:
    allowed, _ = server
    _refused(str(allowed) + "/town.osm.pbf\x00.txt", [allowed], "control character")


@pytest.mark.parametrize("value", ["\udcff.osm.pbf", "\ud800.osm.pbf", b"town.osm.pbf", 42, None])
def test_only_input_error_ever_escapes(server: tuple[Path, Path], value: object) -> None:
    allowed, _ = server
    for allowed_dirs in (None, [allowed]):
        try:
            osm_path(value, allowed_dirs)  # type: ignore[arg-type]
        except InputError as err:
            assert str(err).startswith(f"{FIELD}: ")


def test_the_field_named_is_the_callers(server: tuple[Path, Path]) -> None:
    allowed, _ = server
    with pytest.raises(InputError, match=r"^patch\.osm_file: .* is not one of"):
        osm_path("/etc/passwd", [allowed], field="patch.osm_file")


def test_without_allowed_folders_any_place_on_disk_is_accepted(server: tuple[Path, Path]) -> None:
    _, outside = server
    assert osm_path(str(outside / "secret.osm.pbf")) == (outside / "secret.osm.pbf").resolve()
    assert osm_path(outside / "missing.osm.pbf") == (outside / "missing.osm.pbf").resolve()


# --------------------------------------------------------------------------- the geo loader uses it


@pytest.mark.parametrize("value", ["$HOME/town.osm.pbf", "${HOME}/town.osm.pbf", "~/town.osm.pbf"])
def test_the_loader_takes_a_problems_path_literally(server: tuple[Path, Path], value: str) -> None:
    """HOME holds town.osm.pbf, yet the loader does not find it through ~ or $HOME."""
    from geo.load import load_network
    from geo.places import places
    from geo.travel import RoadTravelTimes
    from optimiser.model import Location, RoadNetwork

    spec = RoadNetwork(osm_file=value, modes=["car"])
    with pytest.raises(InputError, match=r"^travel\.road_network\.osm_file: no such file .*taken literally"):
        RoadTravelTimes.from_spec(spec, {"a": Location(lat=52.6, lon=-0.7)})
    with pytest.raises(InputError, match="no such file.*taken literally"):
        load_network(value, "car")
    with pytest.raises(InputError, match="not a readable .osm.pbf"):
        places(value)


@pytest.mark.parametrize("value", ["town\x00.osm.pbf", "x" * 5000 + ".osm.pbf"])
def test_the_loader_refuses_malformed_paths_as_input_errors(server: tuple[Path, Path], value: str) -> None:
    from geo.load import load_network
    from geo.travel import RoadTravelTimes
    from optimiser.model import Location

    with pytest.raises(InputError, match=r"^travel\.road_network\.osm_file: the path"):
        RoadTravelTimes({"a": Location(lat=52.6, lon=-0.7)}, source=value)
    with pytest.raises(InputError, match=r"^road network: the path"):
        load_network(value, "car")
