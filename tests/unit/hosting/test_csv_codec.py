"""The built-in XGBoost handler's CSV reading: empty fields are missing values, text is refused."""

import numpy as np
import pytest

from sagecraft.executors.serving.codecs import BadPayload, decode_csv


def test_rows_of_numbers():
    assert decode_csv(b"1,2,3\n4,5,6\n").tolist() == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("body", [b"1,,3", b"1,2,3\n4,,6", b"1,,3\n,5,6\n"])
def test_empty_fields_are_missing_values_in_one_row_or_many(body):
    decoded = decode_csv(body)
    assert decoded.shape[1] == 3 and np.isnan(decoded).sum() == body.count(b",,") + body.count(b"\n,")


@pytest.mark.parametrize("body", [b"1,abc,3", b"1,2,3\n4,abc,6", b"1,2,3\n4,5", b"   "])
def test_text_ragged_rows_and_empty_payloads_are_refused(body):
    with pytest.raises(BadPayload):
        decode_csv(body)
