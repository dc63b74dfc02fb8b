"""CsvPredictionsReader on real bytes: what an upload can be, and what it must not be."""

from __future__ import annotations

import math

import pytest

from adapters.filesystem.predictions_csv import CsvPredictionsReader
from domain.errors import DataError

read = CsvPredictionsReader().read


def test_comma_and_semicolon_files_with_blank_cells():
    for text in (
        "Date,actual,forecast\n2012-01-06,10,11\n2012-01-13,,12\n",
        "Date;actual;forecast\n2012-01-06;10;11\n2012-01-13;;12\n",
    ):
        table = read(text.encode(), "p.csv")
        assert table.numeric == ("actual", "forecast")
        actual = table.columns["actual"]
        assert actual[0] == 10.0 and math.isnan(actual[1])  # a blank cell of a numeric column is NaN
        assert table.columns["Date"] == ("2012-01-06", "2012-01-13")
        assert table.rows == 2


def test_a_bom_and_padded_headers_are_read():
    table = read("\ufeff week , actual , predicted \n1,2,3\n".encode(), "p.csv")
    assert list(table.columns) == ["week", "actual", "predicted"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    ("caf\xe9,x\n1,2\n".encode("latin-1"), "not a UTF-8 CSV"),
    (b"a,b\n", "no rows"),
    (b"name,colour\nx,red\ny,blue\n", "no numeric column"),
    (b"a,a\n1,2\n", "one unique, non-empty name per column"),
    (b"a,b\n1,2,3\n", "not a readable CSV"),
    (b'a,b\n1,"2\n', "not a readable CSV"),
])
def test_unusable_uploads_say_why(content, message):
    with pytest.raises(DataError, match=message):
        read(content, "upload.csv")


def test_up_to_a_million_rows_are_read_and_one_more_is_refused():
    rows = "".join(f"{i % 97},{i % 89}\n" for i in range(1_000_000))
    table = read(f"actual,predicted\n{rows}".encode(), "big.csv")
    assert table.rows == 1_000_000 and table.columns["predicted"][-1] == 999_999 % 89
    with pytest.raises(DataError, match="big.csv has more than 1,000,000 rows"):
        read(f"actual,predicted\n{rows}5,6\n".encode(), "big.csv")
