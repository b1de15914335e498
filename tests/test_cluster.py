"""Several servers: two Rasa servers and two action servers behind HAProxy, one PostgreSQL, one Redis lock store."""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.cluster import postgres_available, redis_available, running_cluster, scratch_database
from tests.dialogue_helpers import Conversation, file_petition

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, model_path: str):
    for reason in (postgres_available(), redis_available(),
                   None if shutil.which("haproxy") else "haproxy is not installed (make test installs it)"):
        if reason:
            pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("cluster")
    with scratch_database() as url:
        with running_cluster(tmp, model_path, url, "redis://127.0.0.1:6379/5") as running:
            yield running


class _Alternating:
    """Sends each turn to the other Rasa server than the previous one."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self.turn = 0

    def send(self, sender: str, message: str, **_: object) -> list[dict]:
        base = self.cluster.rasa_direct[self.turn % 2]
        self.turn += 1
        return self.cluster.send(sender, message, base=base)


def test_a_conversation_alternating_between_servers_stays_consistent(cluster) -> None:
    from petitions import PetitionStore

    conv = Conversation(_Alternating(cluster))
    code = file_petition(conv, start="Tôi muốn gửi phản ánh", consent="Tôi đồng ý",
                         matter="Đường liên ấp Bàu Sen bị sụt lún nặng sau mưa, xe máy đi rất nguy hiểm.",
                         commune="phường Tân Ninh", phone="0912 345 678", confirm="Xác nhận")
    status = conv.says(f"tra cứu hồ sơ {code}")
    assert code in status, conv.transcript()
    store = PetitionStore(cluster.settings.petitions_url)
    record = store.get_by_code(code)
    assert record is not None


def test_concurrent_citizens_through_the_balancer_lose_and_duplicate_nothing(cluster) -> None:
    from petitions import PetitionStore

    store = PetitionStore(cluster.settings.petitions_url)
    before = store.count()

    def citizen(i: int) -> str:
        conv = Conversation(cluster)
        return file_petition(conv, start="tôi muốn gửi phản ánh", consent="đồng ý",
                             matter=f"Cống thoát nước khu phố {i} bị nghẹt, nước tràn vào nhà dân mỗi khi mưa lớn.",
                             commune="phường Tân Ninh", phone="không" if i % 2 else "0987654321", confirm="xác nhận")

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(citizen, range(16)))
    assert len(set(codes)) == 16
    assert store.count() - before == 16
    for code in codes:
        assert store.get_by_code(code) is not None
