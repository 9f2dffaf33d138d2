"""Concurrency: many clients pushing the same blob, the same manifest, or
different manifests to the same tag at once must leave a consistent store:
no lost or torn write, every digest's bytes hash to it, the tag names exactly
one of the pushed manifests."""
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from regclient import (REFERENCE, OCI_CONFIG, OCI_LAYER, Registry, config_bytes, descriptor, oci_manifest,
                       sha256)

N = 16


@pytest.fixture
def repo():
    return "conc/" + uuid.uuid4().hex[:12]


def parallel(fn, n=N):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait(10)
        return fn(i)
    with ThreadPoolExecutor(n) as ex:
        return list(ex.map(run, range(n)))


@pytest.mark.parametrize("mode", ["post_put", "chunked", "monolithic"])
def test_same_blob_parallel(registry, repo, mode):
    data = os.urandom(2 << 20)
    dg = sha256(data)

    def push(i):
        return Registry(registry.url).push_blob(repo, data, mode=mode, chunk=256 * 1024)
    assert parallel(push) == [dg] * N
    reg = Registry(registry.url)
    h = reg.head_blob(repo, dg)
    assert h.status_code == 200 and int(h.headers["Content-Length"]) == len(data)
    assert reg.get_blob(repo, dg).content == data


def test_same_blob_many_repos(registry):
    data = os.urandom(512 * 1024)
    base = "conc/" + uuid.uuid4().hex[:8]

    def push(i):
        return Registry(registry.url).push_blob(f"{base}/r{i}", data)
    parallel(push)
    reg = Registry(registry.url)
    for i in range(N):
        assert reg.get_blob(f"{base}/r{i}", sha256(data)).content == data


def _image(reg, repo, i):
    cfg = config_bytes(f"{repo}-{i}")
    layer = os.urandom(1000 + i)
    reg.push_blob(repo, cfg)
    reg.push_blob(repo, layer)
    return oci_manifest(descriptor(OCI_CONFIG, cfg), [descriptor(OCI_LAYER, layer)])


def test_same_tag_different_manifests(registry, repo):
    reg = Registry(registry.url)
    bodies = [_image(reg, repo, i) for i in range(N)]

    def put(i):
        return Registry(registry.url).put_manifest(repo, "race", bodies[i]).status_code
    assert parallel(put) == [201] * N
    g = reg.get_manifest(repo, "race")
    assert g.status_code == 200
    assert g.content in bodies
    assert g.headers["Docker-Content-Digest"] == sha256(g.content)
    for b in bodies:
        assert reg.get_manifest(repo, sha256(b)).content == b
    assert reg.tags(repo).json()["tags"] == ["race"]


def test_same_manifest_same_tag(registry, repo):
    reg = Registry(registry.url)
    body = _image(reg, repo, 0)

    def put(i):
        return Registry(registry.url).put_manifest(repo, "same", body).status_code
    assert parallel(put) == [201] * N
    g = reg.get_manifest(repo, "same")
    assert g.content == body


@pytest.mark.xfail(condition=REFERENCE, reason="reference deviation: tags not in lexical order")
def test_many_tags_parallel_with_listing(registry, repo):
    reg = Registry(registry.url)
    body = _image(reg, repo, 0)
    seen_bad = []

    def work(i):
        r = Registry(registry.url)
        for k in range(8):
            assert r.put_manifest(repo, f"t{i:02d}-{k}", body).status_code == 201
            lst = r.tags(repo).json().get("tags") or []
            if lst != sorted(set(lst)):
                seen_bad.append(lst)
        return True
    parallel(work)
    assert not seen_bad
    tags = reg.tags(repo).json()["tags"]
    assert tags == sorted(f"t{i:02d}-{k}" for i in range(N) for k in range(8))


def test_push_pull_delete_mix(registry, repo):
    """Pushers, pullers and deleters of distinct blobs at once."""
    blobs = [os.urandom(64 * 1024 + i) for i in range(N)]
    reg = Registry(registry.url)
    for b in blobs[: N // 2]:
        reg.push_blob(repo, b)

    def work(i):
        r = Registry(registry.url)
        b = blobs[i]
        if i < N // 4:
            return r.delete_blob(repo, sha256(b)).status_code == 202
        if i < N // 2:
            g = r.get_blob(repo, sha256(b))
            return g.status_code == 200 and g.content == b
        return r.push_blob(repo, b, mode="chunked", chunk=16 * 1024) == sha256(b)
    assert all(parallel(work))
    for i, b in enumerate(blobs):
        expect = 404 if i < N // 4 else 200
        assert reg.head_blob(repo, sha256(b)).status_code == expect
