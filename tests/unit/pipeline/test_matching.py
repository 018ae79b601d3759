"""Films matched across sources by normalised title and date, merged by precedence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from boxoffice.core.data_params import MatchParams
from boxoffice.pipeline.matching import SOURCES_COLUMN, agreement, assign_films, merge, title_key


def test_title_key_folds_accents_case_punctuation_and_article() -> None:
    assert title_key("The Amélie: Fabuleux Destin!") == title_key("amelie fabuleux destin")
    assert title_key("Ocean\u2019s Eleven") == title_key("Oceans Eleven")
    assert title_key("A Beautiful Mind") == "beautiful mind"
    assert title_key("Avatar") != title_key("Avatars")


def _frames() -> dict[str, pd.DataFrame]:
    first = pd.DataFrame(
        {
            "Title": ["Avatar", "Heat", "Solo"],
            "Release Date": pd.to_datetime(["2009-12-18", "1995-12-15", "2001-01-05"]),
            "Gross": [2.7e9, 1.8e8, np.nan],
            "Genre": ["Action", "Drama", None],
        }
    )
    second = pd.DataFrame(
        {
            "Title": ["AVATAR", "Heat", "Solo", "Coco"],
            # Heat: 20 days apart, another film of the same name; Solo: 3 days, the same one
            "Release Date": pd.to_datetime(
                ["2009-12-20", "1996-01-04", "2001-01-08", "2017-11-22"]
            ),
            "Gross": [2.8e9, 9.9e7, 5.0e6, 8.0e8],
            "Genre": ["Adventure", "Drama", "Comedy", "Adventure"],
        }
    )
    return {"a": first, "b": second}


def test_assign_films_matches_within_days_only() -> None:
    ids = assign_films(_frames(), title="Title", date="Release Date", within_days=7)
    assert ids["b"][0] == ids["a"][0]  # Avatar, 2 days
    assert ids["b"][1] not in ids["a"]  # Heat, 20 days: another film
    assert ids["b"][2] == ids["a"][2]  # Solo, 3 days
    assert len(set(ids["a"]) | set(ids["b"])) == 5


def test_assign_films_pairs_one_row_per_source_closest_first() -> None:
    frames = {
        "a": pd.DataFrame({"Title": ["Up"], "Release Date": pd.to_datetime(["2009-05-29"])}),
        "b": pd.DataFrame(
            {"Title": ["Up", "Up"], "Release Date": pd.to_datetime(["2009-06-03", "2009-05-30"])}
        ),
    }
    ids = assign_films(frames, title="Title", date="Release Date", within_days=7)
    assert ids["b"][1] == ids["a"][0]
    assert ids["b"][0] != ids["a"][0]


def test_merge_takes_values_by_declared_precedence_per_column() -> None:
    frames = _frames()
    ids = assign_films(frames, title="Title", date="Release Date", within_days=7)
    match = MatchParams(precedence=["a", "b"], prefer={"Gross": ["b", "a"]})
    merged = merge(frames, ids, match).set_index(SOURCES_COLUMN, append=True)
    avatar = merged[merged["Title"] == "Avatar"].iloc[0]
    assert avatar["Gross"] == 2.8e9  # b first for the gross
    assert avatar["Genre"] == "Action"  # a first otherwise
    solo = merged[merged["Title"] == "Solo"].iloc[0]
    assert solo["Genre"] == "Comedy"  # a lacks it: b's value fills in
    assert merged.index.get_level_values(SOURCES_COLUMN).tolist().count("a+b") == 2
    assert pd.api.types.is_datetime64_any_dtype(merged["Release Date"])
    assert merged["Gross"].dtype == np.float64


def test_agreement_counts_only_pairs_where_both_have_a_value() -> None:
    left = pd.Series(["Fox", "Disney", None])
    right = pd.Series(["Fox", "Walt Disney", "Sony"])
    ids = np.array([0, 1, 2])
    assert agreement(left, right, ids, ids) == {"pairs": 2, "same": 1, "share": 0.5}


def test_a_row_whose_closest_film_is_taken_pairs_with_the_next_free_one() -> None:
    frames = {
        "a": pd.DataFrame(
            {
                "Title": ["Crash", "Crash"],
                "Release Date": pd.to_datetime(["2005-05-06", "2005-05-11"]),
            }
        ),
        "b": pd.DataFrame(
            {
                "Title": ["Crash", "Crash"],
                "Release Date": pd.to_datetime(["2005-05-07", "2005-05-08"]),
            }
        ),
    }
    ids = assign_films(frames, title="Title", date="Release Date", within_days=7)
    assert sorted(ids["b"].tolist()) == sorted(ids["a"].tolist())  # two films, not three


def test_titles_without_latin_letters_do_not_all_match() -> None:
    assert title_key("長江七號") != title_key("少林足球") != ""
