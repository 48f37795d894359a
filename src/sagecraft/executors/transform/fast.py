"""A faster CSV decoder for the built-in XGBoost handler in batch: pyarrow parses a mini-batch (in C,
without the GIL) where the endpoint's decoder is tuned for one-row requests. Anything it does not
take cleanly (text, ragged rows, a wrong feature count) goes to the handler's own ``invoke``, so
errors carry the built-in algorithm's messages."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np

from sagecraft.executors.serving import codecs
from sagecraft.executors.serving.handlers import Handler, XGBoostBuiltin

Predict = Callable[[bytes], bytes | None]  # None: not for this path, use the handler


def csv_predictor(handler: Handler, content_type: str | None, accept: str | None) -> Predict | None:
    if not isinstance(handler, XGBoostBuiltin):
        return None
    if codecs.media_type(content_type) not in ("", "text/csv"):
        return None
    if codecs.media_type(accept) not in ("", "*/*", "text/csv"):
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # a runtime without pyarrow: the handler decodes
        return None
    # 1 MB blocks: pyarrow parses the blocks of one mini-batch in parallel on its own threads.
    read_options = pacsv.ReadOptions(autogenerate_column_names=True, block_size=1024 * 1024)
    # Parsed straight to float32 (what inplace_predict takes): no float64 table to cast afterwards.
    # A column that is not a number fails the parse, and the handler then answers with its own message.
    convert_options = pacsv.ConvertOptions(
        column_types={f"f{index}": pa.float32() for index in range(handler.features or 0)}
    )
    write_options = pacsv.WriteOptions(include_header=False)

    def predict(payload: bytes) -> bytes | None:
        try:
            table = pacsv.read_csv(io.BytesIO(payload), read_options=read_options, convert_options=convert_options)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_columns != handler.features and handler.features:
            return None
        if not all(pa.types.is_floating(t) or pa.types.is_integer(t) for t in table.schema.types):
            return None
        data = np.empty((table.num_rows, table.num_columns), dtype=np.float32)
        for index, column in enumerate(table.columns):
            data[:, index] = column.to_numpy(zero_copy_only=False)
        scores = handler.booster.inplace_predict(data)
        if scores.ndim != 1:
            return codecs.encode(scores, "text/csv")[0]
        buffer = io.BytesIO()
        pacsv.write_csv(pa.table({"score": scores}), buffer, write_options)
        return buffer.getvalue()

    return predict
