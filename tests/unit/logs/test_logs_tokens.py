from __future__ import annotations

import pytest

from sagecraft.services.logs.errors import InvalidParameterException
from sagecraft.services.logs.tokens import (
    Position,
    backward_token,
    decode_key_token,
    decode_position_token,
    encode_key_token,
    forward_token,
)


@pytest.mark.parametrize("position", [Position(0, 0), Position(1_795_000_000_123, 42), Position(2**63 - 1, 2**64 - 1)])
def test_position_tokens_round_trip_in_aws_shape(position):
    token = forward_token(position)
    assert token.startswith("f/") and token.endswith("/s") and len(token) == 60
    assert decode_position_token(token) == ("f", position)
    assert decode_position_token(backward_token(position)) == ("b", position)


def test_positions_order_like_their_events():
    assert Position(5, 9) < Position(6, 1) < Position(6, 2)
    assert Position(6, 2).next() == Position(6, 3)
    assert Position(6, 0).previous() == Position(6, 0)


@pytest.mark.parametrize("token", ["", "f/123/s", "x/" + "0" * 56 + "/s", "garbage", "f/" + "9" * 56 + "/s"])
def test_bad_position_tokens_are_invalid_parameters(token):
    with pytest.raises(InvalidParameterException, match="nextToken"):
        decode_position_token(token)


def test_key_tokens_are_bound_to_their_listing():
    token = encode_key_token("groups", ["/aws/sagemaker/TrainingJobs"])
    assert decode_key_token("groups", token) == ["/aws/sagemaker/TrainingJobs"]
    with pytest.raises(InvalidParameterException):
        decode_key_token("streams-by-name", token)
    with pytest.raises(InvalidParameterException):
        decode_key_token("groups", "not*base64")
