"""Serving-side predictor: ONNX Runtime on the exported artifact, integrity checked at load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from boxoffice.core.artifact import read_verified
from boxoffice.core.edges import InputEdges
from boxoffice.core.features import Columns, Encoder, row_count
from boxoffice.core.intervals import widths
from boxoffice.core.signature import REDUCED_INPUT, Signature

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Prediction:
    """Dollars: point prediction and interval bounds, one entry per row."""

    value: FloatArray
    low: FloatArray
    high: FloatArray


class OnnxPredictor:
    def __init__(self, model_bytes: bytes, signature: Signature, threads: int = 1) -> None:
        options = ort.SessionOptions()
        # One intra-op thread per worker: the server scales with processes, not threads.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            model_bytes, options, providers=["CPUExecutionProvider"]
        )
        self.signature = signature
        self.encoder = Encoder(signature)
        self.edges = InputEdges(signature)
        output = self.session.get_outputs()[0]
        self._output = output.name
        inputs = {i.name for i in self.session.get_inputs()}
        if (self.encoder.reduced is not None) != (REDUCED_INPUT in inputs):
            raise ValueError(
                f"the signature's reduced trees and the graph's inputs {sorted(inputs)} disagree"
            )
        # Intervals in units of a predicted width need the graph's second output.
        self._scaled = signature.interval.scaled
        if self._scaled and (len(output.shape) != 2 or output.shape[1] != 2):
            raise ValueError(
                f"the signature's intervals scale with a width the graph does not give"
                f" (its output is {output.shape})"
            )

    @classmethod
    def load(cls, directory: str | Path, threads: int = 1) -> OnnxPredictor:
        model_bytes, signature, _ = read_verified(Path(directory))
        return cls(model_bytes, signature, threads)

    def predict_log(
        self, columns: Columns, n_rows: int | None = None, log_deflator: FloatArray | None = None
    ) -> FloatArray:
        """Log gross in nominal dollars of each film's release year."""
        n_rows = row_count(columns, n_rows)
        if log_deflator is None:
            log_deflator = self.encoder.log_deflator(columns, n_rows)
        # The graph predicts constant dollars; back to the release year's dollars.
        return self._run(columns, n_rows, log_deflator)[:, 0] - log_deflator

    def _run(self, columns: Columns, n_rows: int, log_deflator: FloatArray) -> FloatArray:
        """The graph's outputs per row: the forecast, then (scaled intervals) the width."""
        return self.trees(self.encoder(columns, n_rows, log_deflator))

    def trees(self, matrix: npt.NDArray[np.float32]) -> FloatArray:
        """The graph's outputs for encoded rows, each by the trees it is routed to."""
        if self.encoder.reduced is None:
            return self._session(matrix, None)
        rows = self.encoder.reduced_rows(matrix)
        if rows.all() or not rows.any():  # one call: the one-film request always
            return self._session(matrix, bool(rows[0]) if len(rows) else False)
        routed = self._session(matrix[rows], True)
        out = np.empty((len(matrix), routed.shape[1]), dtype=np.float64)
        out[rows] = routed
        out[~rows] = self._session(matrix[~rows], False)
        return out

    def _session(self, matrix: npt.NDArray[np.float32], reduced: bool | None) -> FloatArray:
        feeds: dict[str, npt.NDArray[np.generic]] = {self.signature.onnx_input: matrix}
        if reduced is not None:
            feeds[REDUCED_INPUT] = np.array(reduced)
        out = self.session.run([self._output], feeds)[0]
        return np.asarray(out, dtype=np.float64).reshape(len(matrix), -1)

    def predict(self, columns: Columns, n_rows: int | None = None) -> Prediction:
        n_rows = row_count(columns, n_rows)
        # Deflated once, for the matrix, the log gross and the budget band.
        log_deflator = self.encoder.log_deflator(columns, n_rows)
        out = self._run(columns, n_rows, log_deflator)
        log_pred = out[:, 0] - log_deflator
        # Offsets by the fields each row sent and its budget band (calibrated that way).
        low, high = self.encoder.interval_offsets(columns, n_rows, log_deflator)
        if self._scaled:
            width = widths(out[:, 1])
            low, high = low * width, high * width
        return Prediction(
            value=np.exp(log_pred), low=np.exp(log_pred + low), high=np.exp(log_pred + high)
        )
