"""Sentence meaning as a vector: all-MiniLM-L6-v2, run on numpy.

The facts look-up matches a caller's question to the line of the instructions that answers it.
Word lists meet "Where would I get a voucher?" only when someone wrote "voucher" into them; a
sentence encoder trained on paraphrases puts it near "Gift cards are sold at the bar" by itself.
all-MiniLM-L6-v2 is a 6-layer BERT (22 M parameters, 384 dimensions) trained for exactly that.

It runs here on numpy rather than torch or onnxruntime: the weights are one safetensors file,
the forward pass is a few matrix products per layer (20-60 ms for a question on one core, by how
busy the machine is), and `tokenizers` (already installed with faster-whisper) reads its
WordPiece tokenizer. No framework that downloads from a hub.

The products run on one BLAS thread (`threadpoolctl`): numpy's OpenBLAS otherwise starts a
thread per core for each of these small products, and on a two-core server whose cores the LLM
keeps busy those threads wait on each other (310 ms a question, p50, against 52 ms on one).
"""

from __future__ import annotations

import asyncio
import json
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from voicedock.engines.base import EngineError

MAX_TOKENS = 128  # a caller's question or an instruction line; longer text keeps its head
CACHE_TEXTS = 4096  # instruction lines are embedded once per process, not once per question
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file: an 8-byte header length, a JSON header, raw data."""
    with path.open("rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype=_DTYPES[meta["dtype"]]).reshape(meta["shape"])
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (error below 1.5e-7): numpy has no erf, BERT's GELU needs it."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    out: np.ndarray = sign * (1.0 - poly * np.exp(-x * x))
    return out


class MiniLmEmbedder:
    """Unit vectors of texts; the cosine of two is their dot product."""

    def __init__(self, model_dir: Path) -> None:
        try:
            from tokenizers import Tokenizer

            config = json.loads((model_dir / "config.json").read_text())
            weights = read_safetensors(model_dir / "model.safetensors")
            self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except Exception as err:
            raise EngineError("facts_load", f"cannot load the sentence encoder from {model_dir}: {err}") from err
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._layers = int(config["num_hidden_layers"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        # Linear weights pre-transposed once, so a forward pass multiplies contiguous matrices.
        self._w = {name: np.array(w.T if name.startswith("encoder.") else w, dtype=np.float32, order="C")
                   for name, w in weights.items() if w.dtype != np.int64}  # copies: the file's bytes go
        self._threads = ThreadpoolController()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.dimensions = int(config["hidden_size"])

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        return await asyncio.to_thread(self.embed_sync, texts)

    def embed_sync(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking: one unit vector per text, as rows; texts seen before come from the cache.
        Under a lock: a question takes milliseconds, and the cache is shared by every call."""
        with self._lock:
            new = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if new:
                try:
                    with self._threads.limit(limits=1, user_api="blas"):
                        vectors = self._forward(new)
                except Exception as err:
                    raise EngineError("facts_inference", f"sentence encoder failed: {err}", retryable=True) from err
                self._cache.update(zip(new, vectors, strict=True))
            rows = [self._cache[t] for t in texts]
            for text in texts:
                self._cache.move_to_end(text)
            while len(self._cache) > CACHE_TEXTS:
                self._cache.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, self.dimensions), np.float32)

    def _forward(self, texts: Sequence[str]) -> np.ndarray:
        w = self._w
        encodings = self._tokenizer.encode_batch(list(texts))
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), np.int64)
        mask = np.zeros((len(texts), length), np.float32)
        for i, e in enumerate(encodings):
            ids[i, :len(e.ids)] = e.ids
            mask[i, :len(e.ids)] = 1.0
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        batch, dims = len(texts), x.shape[-1]
        head = dims // self._heads
        masked = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in range(self._layers):
            p = f"encoder.layer.{layer}."
            q, k, v = (self._linear(x, f"{p}attention.self.{n}").reshape(batch, length, self._heads, head)
                       .transpose(0, 2, 1, 3) for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + masked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, dims)
            x = self._norm(x + self._linear(context, f"{p}attention.output.dense"), f"{p}attention.output.LayerNorm")
            hidden = self._linear(x, f"{p}intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / np.sqrt(2.0)))
            x = self._norm(x + self._linear(hidden, f"{p}output.dense"), f"{p}output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)  # the model's mean pooling
        out: np.ndarray = (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)
        return out

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        out: np.ndarray = x @ self._w[f"{name}.weight"] + self._w[f"{name}.bias"]
        return out

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        out: np.ndarray = (x - mean) / np.sqrt(var + self._eps) * self._w[f"{name}.weight"] + self._w[f"{name}.bias"]
        return out

