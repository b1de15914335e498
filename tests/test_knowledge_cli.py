"""`danvan ask`, `danvan index` and `danvan eval qa` end to end, as subprocesses on the real model."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures_knowledge import make_pdf

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, model_path: str) -> dict[str, str]:
    """Settings pointing at a fresh var/ folder (index built there) and at the already built model."""
    var_dir = tmp_path_factory.mktemp("cli-var")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANVAN_")}
    env.update({"DANVAN_VAR_DIR": str(var_dir), "DANVAN_EMBEDDING_MODEL": model_path,
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return env


def danvan(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "danvan", *args], cwd=REPO_ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=600,
    )


def test_ask_json_and_jsonl(cli_env: dict[str, str], tmp_path: Path) -> None:
    done = danvan(cli_env, "ask", "Công văn 608 yêu cầu gì về phòng, chống tham nhũng?", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answered"] is True
    assert "phòng, chống tham nhũng" in data["answer"]
    assert data["answer"].endswith("Nguồn: điểm 7, Công văn 608/UBND-NCPC ngày 02/4/2019.")
    assert len(data["sources"]) >= 3 and data["sources"][0]["section"] == "điểm 7"

    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "cong van 608 do ai ky"}\n\n{"question": "Tỷ giá đô la Mỹ hôm nay là bao nhiêu?", "id": 2}\n',
        encoding="utf-8",
    )
    done = danvan(cli_env, "ask", "--jsonl", str(questions))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [d["answered"] for d in lines] == [True, False]
    assert "Nguyễn Thanh Ngọc" in lines[0]["answer"]
    assert "phản ánh, kiến nghị" in lines[1]["answer"]


def test_ask_usage_errors_are_one_line(cli_env: dict[str, str]) -> None:
    done = danvan(cli_env, "ask", "--json")
    assert done.returncode == 2
    assert "give either a question or --jsonl FILE" in done.stderr


def test_index_add_and_refuse_broken_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    note = tmp_path / "thong-bao-doi-thoai.md"
    note.write_text("# Thông báo đối thoại\n\nUBND xã Long Thành Bắc tổ chức đối thoại với Nhân dân vào ngày "
                    "15/8/2024 tại hội trường ấp Long Mỹ.\n", encoding="utf-8")
    done = danvan(cli_env, "index", "--add", str(note))
    assert done.returncode == 0, done.stderr
    assert "added     thong-bao-doi-thoai" in done.stdout

    locked = tmp_path / "mat.pdf"
    locked.write_bytes(make_pdf(["Điều 1. Nội dung."], password="secret"))
    done = danvan(cli_env, "index", "--add", str(locked))
    assert done.returncode == 2
    assert "encrypted" in done.stderr and "the index was left unchanged" in done.stderr

    done = danvan(cli_env, "ask", "UBND xã Long Thành Bắc đối thoại với dân ở đâu?", "--json")
    assert json.loads(done.stdout)["sources"][0]["doc"] == "thong-bao-doi-thoai"


def test_eval_qa_reports_three_systems(cli_env: dict[str, str], tmp_path: Path, corpus_dir: Path) -> None:
    questions = tmp_path / "qa.jsonl"
    rows = [
        {"id": "a", "question": "quyet dinh 23 thay the quyet dinh nao", "lang_form": "no_diacritics",
         "answerable": True, "evidence": ["thay thế Quyết định số 290-QĐ/TW"]},
        {"id": "b", "question": "Giá xăng hôm nay bao nhiêu?", "lang_form": "diacritics", "answerable": False,
         "evidence": []},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    done = danvan(cli_env, "eval", "qa", str(questions), "--corpus", str(corpus_dir), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"fused", "bm25", "dense"}
    assert report["fused"]["all"]["hit@3"] == 1.0
    assert report["fused"]["no_diacritics"]["answerable"] == 1
    assert report["fused"]["all"]["abstention"] == 1.0
