"""The input's edge, on a hand-built signature: variants, unknown values, ranges, horizon."""

from __future__ import annotations

from boxoffice.core.edges import InputEdges, canonical
from boxoffice.core.money import format_money
from boxoffice.core.signature import History, HorizonBand, InputField, Interval, Signature


def _signature() -> Signature:
    return Signature(
        target="gross",
        inputs=[
            InputField(
                field="budget", kind="numeric", required=True, dollars=True, observed=(218.0, 3e8)
            ),
            InputField(field="date", kind="date", required=True, parts=["year"]),
            InputField(field="rating", kind="categorical", categories=["PG-13", "R", "PG"]),
            InputField(field="studio", kind="categorical", categories=["Fox"]),
        ],
        interval=Interval(
            level=0.8,
            low=-1,
            high=1,
            horizons=[
                HorizonBand(min_years=1, scale=1.0),
                HorizonBand(min_years=7, scale=1.2, name="7-10", coverage=0.81, films=548),
            ],
        ),
        history=[History(field="studio", table={"Fox": [3, 18.0], "Orion": [1, 16.0]})],
        last_film="2018-10-12",
    )


def test_canonical_drops_case_and_punctuation() -> None:
    assert canonical("PG-13") == canonical("pg13") == canonical("P.G. 13") == "pg13"


def test_edge_messages_write_money_the_one_way() -> None:
    assert (format_money(200), format_money(1.5e6), format_money(2.37e9)) == (
        "$200",
        "$1.5M",
        "$2.37B",
    )


def test_known_values_pass_without_a_note() -> None:
    edges = InputEdges(_signature())
    columns, notes = edges.check(
        {"budget": [1e8], "date": ["2010-05-01"], "rating": ["R"], "studio": ["Orion"]}, 1
    )
    assert notes == [[]]
    assert columns["rating"] == ["R"]


def test_variant_is_read_as_the_known_value_and_noted() -> None:
    columns, notes = InputEdges(_signature()).check({"rating": ["pg13", None]}, 2)
    assert columns["rating"] == ["PG-13", None]
    assert notes[0][0]["code"] == "read_as" and notes[1] == []


def test_unknown_value_names_closest_known_values_and_is_blanked() -> None:
    columns, notes = InputEdges(_signature()).check({"rating": ["PG-14"]}, 1)
    (note,) = notes[0]
    assert note["code"] == "unknown_value" and "'PG-13'" in note["message"]
    assert columns["rating"] == [None]  # treated as unknown: not counted as sent either


def test_unknown_studio_keeps_its_value_as_a_newcomer() -> None:
    columns, notes = InputEdges(_signature()).check({"studio": ["Netflix"]}, 1)
    assert columns["studio"] == ["Netflix"]
    assert "track record counts as none" in notes[0][0]["message"]


def test_a_dollar_amount_is_judged_in_constant_dollars() -> None:
    from boxoffice.core.dollars import Dollars

    index = {str(y): 100.0 * 2 ** ((y - 1950) / 10) for y in range(1950, 2011)}
    dollars = Dollars(base_year=2010, extrapolate_rate=0.0, index=index)
    signature = _signature().model_copy(update={"dollars": dollars})
    # $50M in 1950 is $3.2B in 2010 dollars (prices x64): beyond the $300M learned from.
    _, notes = InputEdges(signature).check({"budget": [5e7], "date": ["1950-06-01"]}, 1)
    (note,) = notes[0]
    assert note["code"] == "out_of_range" and "in 1950 dollars" in note["message"]
    _, fine = InputEdges(signature).check({"budget": [5e7], "date": ["2010-06-01"]}, 1)
    assert fine == [[]]


def test_number_outside_the_training_range_is_noted_with_the_range() -> None:
    _, notes = InputEdges(_signature()).check({"budget": [100.0, 5e9, 5e6]}, 3)
    assert [n[0]["code"] for n in notes[:2]] == ["out_of_range", "out_of_range"]
    assert "$218 to $300.0M" in notes[0][0]["message"]
    assert notes[2] == []


def test_release_past_the_data_names_its_horizon_and_measured_coverage() -> None:
    _, notes = InputEdges(_signature()).check({"date": ["2027-07-01", "2018-06-01"]}, 2)
    (note,) = notes[0]
    assert note["code"] == "horizon" and "9 years after" in note["message"]
    assert "at horizons of 7-10 years the 80% range covered 81% of 548 backtest" in note["message"]
    assert notes[1] == []


def test_an_unknown_value_is_quoted_as_this_caller_sent_it() -> None:
    # The hint is shared between values of one canonical key; the message never is: a second
    # caller's warning once quoted the first caller's spelling.
    edges = InputEdges(_signature())
    _, first = edges.check({"rating": ["Kung-Fu!"]}, 1)
    _, notes = edges.check({"rating": ["kung fu", "Kung-Fu!"]}, 2)
    assert "'Kung-Fu!'" in first[0][0]["message"]
    assert "'kung fu'" in notes[0][0]["message"] and "Kung-Fu!" not in notes[0][0]["message"]
    assert "'Kung-Fu!'" in notes[1][0]["message"]


def test_values_outside_ascii_keep_keys_of_their_own() -> None:
    # Everything not ASCII had the one empty key, so "Черный" and "日本" shared one warning.
    assert len({canonical(v) for v in ["Черный", "日本", "Amélie", "😀"]}) == 4
    assert canonical("Amélie") == canonical("AMELIE")
    edges = InputEdges(_signature())
    _, notes = edges.check({"rating": ["Черный", "日本"]}, 2)
    assert "'Черный'" in notes[0][0]["message"] and "'日本'" in notes[1][0]["message"]


def test_an_unknown_value_without_close_matches_claims_no_listing() -> None:
    # The count of known values includes track-record names GET /v1/model does not list.
    _, notes = InputEdges(_signature()).check({"studio": ["Zzyzx"]}, 1)
    assert "no close match among 2 known values" in notes[0][0]["message"]
