"""Routing petitions to agencies: the trained router on the dev set, the keyword baseline, the editable table."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.text import fold
from petitions.baseline import KeywordRouter
from petitions.evaluation import evaluate, format_report, score
from petitions.routing_table import RoutingTable, RoutingTableError

AGENCY_CODES = {
    "thanh-tra-tinh", "cong-an-tinh", "so-nong-nghiep-moi-truong", "so-xay-dung", "so-y-te", "so-noi-vu",
    "so-giao-duc-dao-tao", "ubnd-cap-xa", "ban-dan-van", "chua-phan-loai",
}


def test_table_has_every_agency_with_many_examples(petitions_data_dir: Path) -> None:
    table = RoutingTable.load(petitions_data_dir / "agencies.yml")
    assert set(table.codes) == AGENCY_CODES
    for agency in table.agencies:
        assert len(agency.examples) >= 50, agency.code
        assert all(ex.topic for ex in agency.examples)
    texts = [ex.text for ex in table.examples()]
    assert len(texts) == len(set(texts)), "duplicate examples"


@pytest.mark.slow
def test_dev_set_accuracy_beats_target_and_baseline(petition_router, shared_dir: Path) -> None:
    rows = [json.loads(line) for line in (shared_dir / "eval" / "dev_routing.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    model, baseline = evaluate(rows, petition_router, KeywordRouter(petition_router.table))
    print("\n" + format_report(model, baseline, petition_router.table.codes))
    assert model.accuracy >= 0.90
    assert model.accuracy > baseline.accuracy


@pytest.mark.slow
def test_cross_validation_on_the_table_is_reported(petition_router) -> None:
    report = petition_router.report
    assert report.examples >= 500
    assert report.cv_accuracy >= 0.85
    assert report.cv_accuracy_folded >= 0.8
    assert 0.0 <= report.threshold < 1.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("Cán bộ địa chính đòi 3 triệu mới ký hồ sơ tách thửa cho tôi", "thanh-tra-tinh"),
        ("can bo dia chinh doi 3 trieu moi ky ho so tach thua cho toi", "thanh-tra-tinh"),
        ("Nhà tôi bị mất trộm xe máy tối qua", "cong-an-tinh"),
        ("Con đường vào ấp 4 ổ gà khắp nơi, mưa là lầy lội", "so-xay-dung"),
        ("cong ty no luong cong nhan 2 thang nay chua tra", "so-noi-vu"),
        ("Xin hỏi làm giấy khai sinh cho con ở đâu", "ubnd-cap-xa"),
        ("Cho xin số đề hôm nay", "chua-phan-loai"),
    ],
)
def test_typical_petitions_route_with_or_without_diacritics(petition_router, text: str, agency: str) -> None:
    route = petition_router.route(text)
    assert route.agency == agency
    assert route.agency_name and route.topic
    assert 0.0 <= route.confidence <= 1.0
    assert set(route.to_dict()) == {"agency", "agency_name", "confidence", "topic"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "agency"),
    [
        # A crime told as the reason the street lights matter: the request is the lights (Sở Xây dựng).
        ("Đường từ ngã ba tới trường cấp hai mất đèn cả tuần, tối qua có người bị giật túi ở đó, xin thay bóng đèn "
         "cho sáng", "so-xay-dung"),
        ("duong tu nga ba toi truong cap hai mat den ca tuan, toi qua co nguoi bi giat tui o do, xin thay bong den "
         "cho sang", "so-xay-dung"),
        # Flooding in central speech ("bữa ni", "răng", "rứa"): drainage, not the police.
        ("Mưa mấy bữa ni nước ngập vô tận bếp, mương thoát nước bị lấp, răng mà không ai lo cho dân rứa",
         "so-xay-dung"),
        ("mua may bua ni nuoc ngap vo tan bep, muong thoat nuoc bi lap, rang ma khong ai lo cho dan rua",
         "so-xay-dung"),
        # And the other way round: the lights are fine, the matter is the snatching.
        ("Hẻm nhà tôi đèn sáng đủ cả, vậy mà vẫn bị kẻ gian giật dây chuyền, xin công an tăng cường tuần tra",
         "cong-an-tinh"),
    ],
)
def test_the_main_matter_decides_not_a_side_event(petition_router, text: str, agency: str) -> None:
    assert petition_router.route(text).agency == agency


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("cong ty no luong toi 3 thang roi, gio toi muôn đoi thi phai lam sao", "so-noi-vu"),
        ("me toi nam vien ma bao hiêm y te khong chi tra tien thuoc, vay la sao", "so-y-te"),
    ],
)
def test_a_stray_mark_in_unaccented_text_is_routed_as_unaccented(petition_router, text: str, agency: str) -> None:
    # Read as accented text these went to triage: broken Vietnamese embedded as if written properly.
    assert not petition_router.typed_with_diacritics(text)
    assert petition_router.typed_with_diacritics("Công ty nợ lương tôi ba tháng rồi, giờ phải làm sao")
    assert petition_router.route(text).agency == agency == petition_router.route(fold(text)).agency


@pytest.mark.slow
def test_batch_routing_matches_single_routing(petition_router) -> None:
    texts = ["Xin sửa đèn đường hẻm 5", "trường thu tiền quá nhiều khoản", "alo"]
    assert [r.agency for r in petition_router.route_many(texts)] == [petition_router.route(t).agency for t in texts]
    assert petition_router.route_many([]) == []


@pytest.mark.slow
def test_fitted_router_is_cached_by_table_content(encoder, petitions_data_dir: Path, tmp_path: Path) -> None:
    import yaml

    from petitions.router import Router

    data = yaml.safe_load((petitions_data_dir / "agencies.yml").read_text("utf-8"))
    for agency in data["agencies"]:  # a small table keeps the test quick
        agency["examples"] = [{"topic": g["topic"], "texts": g["texts"][:2]} for g in agency["examples"][:3]]
    table_file = tmp_path / "agencies.yml"
    table_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    cache = tmp_path / "cache"
    first = Router.load(table_file, encoder, cache_dir=cache, cross_validate=False)
    assert len(list(cache.glob("router-*.pkl"))) == 1
    again = Router.load(table_file, encoder, cache_dir=cache, cross_validate=False)
    assert again.route("đèn đường hư").agency == first.route("đèn đường hư").agency
    table_file.write_text(table_file.read_text("utf-8") + "\n# edited by an operator\n", encoding="utf-8")
    Router.load(table_file, encoder, cache_dir=cache, cross_validate=False)
    assert len(list(cache.glob("router-*.pkl"))) == 2  # a changed table is never served from the old fit

    from knowledge.tuning import Tuning

    committed = Tuning.load()
    other = Tuning.parse(committed.path.read_bytes().replace(b"regularisation_c: ", b"regularisation_c: 1", 1))
    assert other.router.regularisation_c != committed.router.regularisation_c
    Router.load(table_file, encoder, cache_dir=cache, cross_validate=False, tuning=other)
    assert len(list(cache.glob("router-*.pkl"))) == 3  # another tuning file is never served from the old fit


def test_keyword_baseline_respects_diacritics(petitions_data_dir: Path) -> None:
    router = KeywordRouter(RoutingTable.load(petitions_data_dir / "agencies.yml"))
    assert router.route("Xin hỏi kỳ thi tuyển sinh lớp 10 năm nay").agency == "so-giao-duc-dao-tao"
    assert router.route("nha toi bi trom xe may").agency == "cong-an-tinh"
    nothing = router.route("chào bạn")
    assert nothing.agency == "chua-phan-loai" and nothing.confidence == 0.0


def test_scores_give_precision_recall_and_confusion() -> None:
    result = score("m", ["a", "a", "b", "c"], ["a", "b", "b", "c"], ["x", "y", "x", "x"])
    assert result.accuracy == 0.75
    per = {a.agency: a for a in result.per_agency}
    assert (per["a"].precision, per["a"].recall) == (1.0, 0.5)
    assert (per["b"].precision, per["b"].recall) == (0.5, 1.0)
    assert result.confusion[("a", "b")] == 1
    assert result.by_form == {"x": 1.0, "y": 0.0}


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("agencies: []\n", "fallback"),
        ("fallback: so-x\nagencies:\n  - {code: so-x, name: X}\n  - {code: so-x, name: Y}\n", "duplicate"),
        ("agencies:\n  - {code: Bad Code, name: X}\n", "bad code"),
        ("fallback: so-a\nlocal_agency: so-a\nagencies:\n  - code: so-a\n    name: A\n  - code: so-b\n    name: B\n"
         "    examples: [{topic: t, texts: [x]}]\n", "at least"),
        ("fallback: so-a\nlocal_agency: so-a\nagencies:\n  - code: so-a\n    name: A\n    examples:\n      - topic: t\n"
         "        texts:\n          - Góp ý: cán bộ nên gần dân\n", "double quotes"),
    ],
)
def test_malformed_tables_fail_at_load_with_a_clear_message(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "agencies.yml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(RoutingTableError, match=message):
        RoutingTable.load(path)
