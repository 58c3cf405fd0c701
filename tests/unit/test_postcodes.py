import pytest

from app.postcodes import InvalidPostcode, area, district, normalise_postcode, sector


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ls62ab", "LS6 2AB"),
        ("  LS6   2AB ", "LS6 2AB"),
        ("sw1a1aa", "SW1A 1AA"),
        ("BT7 1NN", "BT7 1NN"),  # Northern Ireland is real too
        ("m11ae", "M1 1AE"),
        ("EC1A 1BB", "EC1A 1BB"),
    ],
)
def test_normalise_accepts_real_forms(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize("raw", ["", "LS6", "12345", "LS6 2A", "QQ1 1AA", "LS6 2ABC", "L$6 2AB"])
def test_normalise_rejects_what_is_not_a_postcode(raw):
    with pytest.raises(InvalidPostcode):
        normalise_postcode(raw)


def test_hierarchy():
    assert district("LS6 2AB") == "LS6"
    assert sector("LS6 2AB") == "LS6 2"
    assert area("LS6 2AB") == "LS"
    assert area("M1 1AE") == "M"
