"""The chat page against a two-node cluster over a real PostgreSQL: a node restarts, and its
page comes back and resumes from the cluster's history — the log continues without a gap."""

import os
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from chat_page import join, log_entries, send
from conftest import PARLEY, free_port

# The library's PostgreSQL and nodes, run with the binary the browser tests use.
os.environ.setdefault("PARLEY_BUILD", os.path.dirname(os.path.abspath(PARLEY)))
from parleybench.nodes import Node
from parleybench.postgres import Postgres

expect.set_options(timeout=10_000)


def page_of(node):
    """A node as `join` takes a server: by its chat page's address."""
    return SimpleNamespace(url=node.page)


@pytest.fixture
def cluster():
    postgres = Postgres()
    nodes = []
    try:
        postgres.start()
        for index in range(2):
            node = Node(index, postgres.url, port=free_port())
            node.start()
            nodes.append(node)
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        postgres.stop()


def test_a_page_resumes_from_the_cluster_history_after_its_node_restarts(cluster, sessions):
    first, second = cluster
    ivy, jon = sessions("ivy"), sessions("jon")
    join(ivy, page_of(first), "ivy")
    join(jon, page_of(second), "jon")
    send(jon, "before the restart")
    expect(log_entries(ivy).filter(has_text="before the restart")).to_have_count(1)

    first.stop()  # SIGTERM: ivy's node drains and goes; the other node and the history stay
    expect(ivy.page.locator("#status-text")).to_contain_text("retrying")
    for index in range(1, 4):
        send(jon, f"while ivy's node was down {index}")
    expect(log_entries(jon).filter(has_text="while ivy's node was down 3")).to_have_count(1)
    first.start()

    expect(ivy.page.locator("#status-text")).to_have_text("Connected", timeout=20_000)
    # The epoch is the database's: the same after the restart, so the page can trust the resume.
    expect(log_entries(ivy).filter(has_text="Caught up: 3 messages")).to_have_count(1)
    expect(log_entries(ivy).filter(has_text="Some messages were missed")).to_have_count(0)
    send(jon, "after the restart")
    expect(log_entries(ivy).filter(has_text="after the restart")).to_have_count(1)
    texts = " ".join(log_entries(ivy).all_inner_texts())
    order = [texts.index(marker) for marker in ["before the restart", "down 1", "down 2", "down 3", "after the restart"]]
    assert order == sorted(order), texts
    for marker in ["before the restart", "down 1", "down 2", "down 3"]:
        assert log_entries(ivy).filter(has_text=marker).count() == 1, texts
    ivy.screenshot("cluster-resumed-after-a-node-restart")
