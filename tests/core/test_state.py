"""Snapshot rows, change records and the tables people read."""

from helpers.core.state import POD_COLUMNS, apply_change, pods_table, version_of


def pod(name, **kw):
    row = dict(
        name=name,
        namespace="default",
        node="w1",
        status="Running",
        phase="Running",
        ready=True,
        restarts=0,
        image="orchestra/model:v1",
        version="v1",
        owner="model",
        labels={"app": "model"},
        endpoint=True,
        created=0.0,
    )
    row.update(kw)
    return row


def test_version_comes_from_the_tag():
    assert version_of("orchestra/model:v2") == "v2"
    assert version_of("localhost:5000/orchestra/model:v3") == "v3"
    assert version_of("nginx") == "latest"
    assert version_of("orchestra/model:v1@sha256:abc") == "v1"


def test_changes_add_modify_delete_and_keep_events_recent():
    snap = {"time": 0.0, "pods": [pod("a")], "events": []}
    snap2 = apply_change(
        snap, {"kind": "Pod", "type": "ADDED", "key": "default/b", "row": pod("b"), "time": 1.0}
    )
    snap3 = apply_change(
        snap2,
        {
            "kind": "Pod",
            "type": "MODIFIED",
            "key": "default/a",
            "row": pod("a", status="Terminating"),
            "time": 2.0,
        },
    )
    snap4 = apply_change(
        snap3, {"kind": "Pod", "type": "DELETED", "key": "default/b", "row": None, "time": 3.0}
    )
    assert [p["name"] for p in snap2["pods"]] == ["a", "b"]
    assert snap3["pods"][0]["status"] == "Terminating"
    assert [p["name"] for p in snap4["pods"]] == ["a"]
    assert snap["pods"][0]["status"] == "Running"  # the input is not modified
    assert snap4["time"] == 3.0
    for i in range(60):
        snap4 = apply_change(
            snap4,
            {
                "kind": "Event",
                "type": "ADDED",
                "key": str(i),
                "row": {"time": i, "reason": str(i)},
                "time": 3.0,
            },
        )
    assert len(snap4["events"]) == 50 and snap4["events"][-1]["reason"] == "59"


def test_pods_table_has_the_documented_columns_and_age():
    df = pods_table([pod("b", created=5.0), pod("a", created=2.0)], now=10.0)
    assert list(df.columns) == POD_COLUMNS
    assert list(df["name"]) == ["a", "b"] and list(df["age_s"]) == [8.0, 5.0]


def test_with_version_sets_the_tag_and_keeps_the_repository():
    from helpers.core.state import with_version

    for image in ("orchestra/model:v1", "localhost:5000/orchestra/model:v1", "model",
                  "orchestra/model@sha256:" + "0" * 64):  # fmt: skip
        assert version_of(with_version(image, "v2")) == "v2"
    assert (
        with_version("localhost:5000/orchestra/model:v1", "v3")
        == "localhost:5000/orchestra/model:v3"
    )
