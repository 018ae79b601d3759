"""Files of rows in and out: where an output may go."""

from __future__ import annotations

from pathlib import Path

import pytest

from boxoffice.core.tables import SameFileError, check_writable


def test_one_path_given_for_two_outputs_is_refused(tmp_path: Path) -> None:
    # Compared by identity, one Path object given twice passed.
    out = tmp_path / "out.csv"
    with pytest.raises(SameFileError, match="named for two outputs"):
        check_writable(tmp_path / "in.csv", out, out)


def test_an_output_that_is_the_input_by_another_name_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "films.csv"
    source.write_text("a\n")
    (tmp_path / "link.csv").hardlink_to(source)  # one file, as a case-folded name would be
    with pytest.raises(SameFileError, match="is the input file"):
        check_writable(source, tmp_path / "link.csv", tmp_path / "r.csv")
    check_writable(source, tmp_path / "out.csv", tmp_path / "out.rejects.csv")  # fine
