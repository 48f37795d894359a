"""Inference handlers: the built-in XGBoost algorithm's, and the framework containers' contract
(``inference.py`` with model_fn / input_fn / predict_fn / output_fn, each with its default)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, Protocol

from sagecraft.executors.serving import codecs

XGBOOST_MODEL = "xgboost-model"


class Handler(Protocol):
    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> tuple[bytes, str]: ...


def load_booster(model_dir: Path) -> Any:
    import xgboost

    path = model_dir / XGBOOST_MODEL
    if not path.exists():
        found = sorted(p.name for p in model_dir.iterdir()) if model_dir.exists() else []
        raise FileNotFoundError(f"The model archive holds no {XGBOOST_MODEL!r} (found: {found}).")
    booster = xgboost.Booster()
    booster.load_model(str(path))
    return booster


class XGBoostBuiltin:
    """The built-in algorithm's server: text/csv, application/json, text/libsvm in; CSV or JSON out."""

    def __init__(self, model_dir: Path) -> None:
        self.booster = load_booster(model_dir)
        # One thread: OpenMP's pool costs ~5 ms per small request and fights the event loop for cores.
        self.booster.set_param({"nthread": 1})
        self.features = self.booster.num_features()

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> tuple[bytes, str]:
        data = codecs.decode(body, content_type)
        width = data.shape[1]
        if self.features and width != self.features:
            raise codecs.BadPayload(f"Feature size of csv inference data {width} is not consistent with feature "
                                    f"size of trained model {self.features}.")
        scores = self.booster.inplace_predict(data)
        if codecs.media_type(accept) == "application/json":
            rows = scores.tolist()
            return json.dumps({"predictions": [{"score": s} for s in rows]}).encode(), "application/json"
        return codecs.encode(scores, accept)


def _load_module(path: Path) -> Any:
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


class FrameworkHandler:
    """The XGBoost / scikit-learn framework containers: the user's functions, else the defaults."""

    def __init__(self, model_dir: Path, program: Path, framework: str | None) -> None:
        self.framework = framework
        module = _load_module(program)
        self.input_fn = getattr(module, "input_fn", None) or self._input_fn
        self.predict_fn = getattr(module, "predict_fn", None) or self._predict_fn
        self.output_fn = getattr(module, "output_fn", None) or self._output_fn
        model_fn = getattr(module, "model_fn", None)
        if model_fn is None:
            if framework != "xgboost":
                raise RuntimeError(f"{program.name} defines no model_fn: the scikit-learn container needs one to "
                                   "load the model.")
            model_fn = lambda directory: load_booster(Path(directory))  # noqa: E731
        self.model = model_fn(str(model_dir))

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> tuple[bytes, str]:
        content_type = content_type or "text/csv"
        data = self.input_fn(body, content_type)
        prediction = self.predict_fn(data, self.model)
        accept = accept if codecs.media_type(accept) not in ("", "*/*") else content_type
        result = self.output_fn(prediction, accept)
        if isinstance(result, tuple):  # (body, content type), as the toolkit's output_fn may return
            result, accept = result
        return (result.encode() if isinstance(result, str) else bytes(result)), accept

    def _input_fn(self, body: bytes, content_type: str) -> Any:
        return codecs.decode(body, content_type)

    def _predict_fn(self, data: Any, model: Any) -> Any:
        if self.framework == "xgboost" and type(model).__name__ == "Booster":
            import xgboost

            return model.predict(xgboost.DMatrix(data))
        return model.predict(data)

    def _output_fn(self, prediction: Any, accept: str) -> bytes:
        return codecs.encode(prediction, accept)[0]
