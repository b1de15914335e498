"""Several servers: two Rasa servers and two action servers behind HAProxy, one PostgreSQL, one Redis lock store."""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.cluster import postgres_available, redis_available, running_cluster, scratch_database
from tests.dialogue_helpers import Conversation, file_petition

# Over the suite's 8 GB total: two Rasa servers and two action servers (about 5 GB) run beside the session's own stack;
# every process stays within 4 GB.
pytestmark = [pytest.mark.e2e, pytest.mark.memory_budget(total_mb=12288)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, model_path: str, stack_index):
    for reason in (postgres_available(), redis_available(),
                   None if shutil.which("haproxy") else "haproxy is not installed (make test installs it)"):
        if reason:
            pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("cluster")
    with (scratch_database() as url,
          running_cluster(tmp, model_path, url, "redis://127.0.0.1:6379/5", index_from=stack_index) as running):
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


@pytest.mark.xfail(reason="Found by this test (2026-12-06): with two Rasa 3.6 servers and the Redis lock store, "
                          "two simultaneous turns of one sender lost 11 of 100 messages from the tracker; not fixed "
                          "yet (Rasa's RedisLockStore race across servers)", strict=False)
def test_two_turns_of_one_sender_on_two_servers_at_once_keep_the_tracker_whole(cluster) -> None:
    """What the Redis lock store is for: the same citizen's two messages reach two Rasa servers at the same moment
    (a double tap, a bridge retry). Fifty rounds; afterwards every message is in the tracker exactly once, and each
    turn's events are complete and not interleaved with the other turn's."""
    import threading

    sender = "cluster-concurrent-turns"
    sent: list[str] = []
    for round_ in range(50):
        texts = [f"xin chào {round_}a", f"xin chào {round_}b"]
        start = threading.Barrier(2)
        replies: list[list[dict] | BaseException] = [[], []]

        def turn(i: int, texts: list[str] = texts, start: threading.Barrier = start,
                 replies: list = replies) -> None:
            start.wait()
            try:
                replies[i] = cluster.send(sender, texts[i], base=cluster.rasa_direct[i])
            except BaseException as exc:  # noqa: BLE001 - reported below
                replies[i] = exc

        threads = [threading.Thread(target=turn, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for i, reply in enumerate(replies):
            assert not isinstance(reply, BaseException), f"round {round_}, server {i + 1}: {reply!r}"
            assert reply, f"round {round_}, server {i + 1}: no reply to {texts[i]!r}"
        sent += texts

    events = cluster.events(sender)
    users = [e.get("text") for e in events if e.get("event") == "user"]
    assert sorted(users) == sorted(sent), "a message was lost or stored twice"
    # Each user message is followed by its own bot turn, closed by action_listen, before the next user message.
    turn_open = False
    for e in events:
        if e.get("event") == "user":
            assert not turn_open, f"a turn started before the previous one was finished: {e.get('text')!r}"
            turn_open = True
        elif e.get("event") == "action" and e.get("name") == "action_listen":
            turn_open = False
    assert not turn_open
    stamps = [e["timestamp"] for e in events if "timestamp" in e]
    assert stamps == sorted(stamps), "events are stored out of order"
