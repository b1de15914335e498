"""`danvan eval routing --corrections FILE`: operators reassign petitions in the console, an admin downloads the
routing corrections, and the command says how the current router does on them against where they went when filed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from danvan.cli import main
from tests.fixtures_console import AGENCY_A, ConsoleEnv, csrf_of

REPO_ROOT = Path(__file__).resolve().parents[1]
TRIAGE = "chua-phan-loai"


def reassign(env: ConsoleEnv, client, code: str, agency: str, reason: str) -> None:
    page = client.get(f"/console/p/{code}").text
    response = client.post(f"/console/p/{code}/reassign", data={"csrf_token": csrf_of(page), "agency": agency,
                                                                "reason": reason})
    assert response.status_code == 200 and env.get(code).agency == agency


def danvan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "danvan", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_operators_corrections_are_scored_against_the_current_router(
        console_env: ConsoleEnv, model_path: str, tmp_path: Path) -> None:
    # Filed to the wrong agency; the current router gets it right.
    theft = console_env.petition("Nhà tôi bị mất trộm xe máy tối qua", agency=AGENCY_A, confidence=0.52)
    # Filed where the router still sends it; operators know the commune handles it.
    road = console_env.petition("Con đường vào ấp 4 ổ gà khắp nơi, mưa là lầy lội", agency=AGENCY_A)
    # Waited in the triage queue; the current router places it.
    wages = console_env.petition("cong ty no luong cong nhan 2 thang nay chua tra", agency=TRIAGE, confidence=0.2)
    admin = console_env.client()
    console_env.login(admin, "admin")
    reassign(console_env, admin, theft.code, "cong-an-tinh", "Trộm cắp tài sản: việc của công an")
    reassign(console_env, admin, road.code, "ubnd-cap-xa", "Đường ấp do xã quản lý")
    reassign(console_env, admin, wages.code, "so-noi-vu", "Nợ lương thuộc lĩnh vực lao động")
    export = admin.get("/console/routing-corrections.jsonl")
    assert export.status_code == 200
    corrections = tmp_path / "sua-dinh-tuyen.jsonl"
    corrections.write_bytes(export.content)

    env = {k: v for k, v in os.environ.items() if not k.startswith("DANVAN_")}
    env.update({"DANVAN_VAR_DIR": str(tmp_path / "var"), "DANVAN_EMBEDDING_MODEL": model_path,
                "DANVAN_CACHE_DIR": str(REPO_ROOT / "var" / "cache"),  # the router's fit, shared with other tests
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    done = danvan(env, "eval", "routing", "--corrections", str(corrections), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["petitions"] == 3 and report["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["at_filing"] == {"correct": 0, "wrong": 2, "triage": 1, "unknown": 0}
    assert report["router"] == {"correct": 2, "wrong": 1, "triage": 0}
    assert (report["wrong_at_filing"], report["still_wrong"], report["fixed"]) == (3, 1, 2)
    assert report["confusion"] == [{"router": AGENCY_A, "corrected": "ubnd-cap-xa", "count": 1, "ids": [road.code]}]
    filed = {(p["routed_to"], p["corrected"]): p["ids"] for p in report["corrections_at_filing"]}
    assert filed == {(AGENCY_A, "cong-an-tinh"): [theft.code], (AGENCY_A, "ubnd-cap-xa"): [road.code],
                     (TRIAGE, "so-noi-vu"): [wages.code]}
    rows = {r["id"]: r for r in report["rows"]}
    assert rows[road.code]["reason"] == "Đường ấp do xã quản lý" and rows[road.code]["now"] == "wrong"

    done = danvan(env, "eval", "routing", "--corrections", str(corrections))
    assert done.returncode == 0, done.stderr
    assert "current router: 2 of 3 routed to the operators' final agency (accuracy 0.667); still wrong: 1" \
        in done.stdout
    assert "at filing time: 3 of 3 not routed to it" in done.stdout
    assert f"    1  {AGENCY_A} → ubnd-cap-xa  ({road.code})" in done.stdout


@pytest.mark.parametrize(("lines", "args", "message"), [
    (['{"id": "A", "text": "Đèn đường hư", "agency": "so-xay-dung", "routed_to": null}', '{"id": "B", "text": '],
     ["--corrections"], ":2: not valid JSON"),
    (['["Đèn đường hư", "so-xay-dung"]'], ["--corrections"], ":1: each line must be one JSON object"),
    (["", '{"text": "Đèn đường hư", "routed_to": "so-y-te"}'], ["--corrections"],
     ':2: each line needs "agency" as a non-empty string'),
    (['{"text": "Đèn đường hư", "agency": "so-xay-dung"}'], ["--corrections"],
     ':1: no "routed_to": not a routing-corrections export'),
    (['{"text": "Đèn đường hư", "agency": "so-xay-dung"}', "{oops"], [], ":2: not valid JSON"),
])
def test_a_broken_file_names_its_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    lines: list[str], args: list[str], message: str) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["eval", "routing", *args, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("danvan eval: error: ") and f"{path}{message}" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_missing_file_and_a_missing_argument_are_one_line_errors(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "routing", "--corrections", str(tmp_path / "none.jsonl")]) == 2
    assert f"cannot read {tmp_path / 'none.jsonl'}" in capsys.readouterr().err
    assert main(["eval", "routing"]) == 2
    assert "give either a labelled FILE or --corrections FILE" in capsys.readouterr().err


def test_an_export_before_any_reassignment_reports_nothing_to_score(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "sua-dinh-tuyen.jsonl"
    empty.write_text("", encoding="utf-8")
    assert main(["eval", "routing", "--corrections", str(empty)]) == 0
    assert "no corrected petitions in this file" in capsys.readouterr().out
