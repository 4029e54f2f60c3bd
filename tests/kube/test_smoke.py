from tests import manifests


def test_snapshot_lists_nodes(cluster):
    names = [n["name"] for n in cluster.snapshot()["nodes"]]
    assert names == ["orchestra-control-plane", "orchestra-worker", "orchestra-worker2"]


def test_watch_sees_new_pod(cluster, fake):
    fake.put(manifests.pod("model-6d4b9c7f5-aaaaa"))
    cluster.wait(lambda c: len(c.snapshot()["pods"]) == 1, timeout=5, what="pod")
    row = cluster.snapshot()["pods"][0]
    assert row["owner"] == "model" and row["status"] == "Running"
