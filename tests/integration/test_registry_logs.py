"""Structured request logs: one line per request naming the method, path,
status, bytes sent, duration and a request id (issue 2). The server's
stdout/stderr go to the log file conftest's Server keeps."""
import re
import time
import uuid

import pytest

from regclient import REFERENCE, Registry, sha256

KEYS = {
    "bytes": re.compile(r"(bytes|written|size|length|len)[\"']?\s*[=:]\s*[\"']?\d+", re.I),
    "duration": re.compile(r"(dur|duration|elapsed|latency|took|time_ms|ms)[\"']?\s*[=:]\s*[\"']?[\d.]+", re.I),
    "request id": re.compile(r"(req(uest)?[._-]?id|rid|\bid)[\"']?\s*[=:]\s*[\"']?[\w-]{4,}", re.I),
}


def lines_for(log, needle):
    return [ln for ln in log.splitlines() if needle in ln]


def wait_for(registry, needle, count, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = lines_for(registry.read_log(), needle)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    return lines_for(registry.read_log(), needle)


@pytest.mark.parametrize("case", ["ok", "not_found", "push"])
def test_one_log_line_per_request(registry, case):
    reg = Registry(registry.url)
    repo = "logs/" + uuid.uuid4().hex[:12]
    if case == "ok":
        reg.push_blob(repo, b"x")
        r = reg.get_blob(repo, sha256(b"x"))
        method, path, status, size = "GET", f"/v2/{repo}/blobs/{sha256(b'x')}", 200, 1
    elif case == "not_found":
        reg.push_blob(repo, b"y")
        r = reg.get_manifest(repo, "missing")
        method, path, status, size = "GET", f"/v2/{repo}/manifests/missing", 404, len(r.content)
    else:
        data = b"z" * 1234
        r = reg.post_monolithic(repo, data)
        if r.status_code == 202:
            r = reg.put_upload(r.headers["Location"], sha256(data), data)
        method, path, status, size = "PUT" if REFERENCE else None, None, 201, 0
    assert r.status_code == status
    if path is None:
        path = f"/v2/{repo}/blobs/uploads/"
        found = wait_for(registry, path, 1)
        found = [ln for ln in found if re.search(r"\b201\b", ln)]
    else:
        found = wait_for(registry, path, 1)
    assert found, f"no log line names {path}; log tail:\n{registry.read_log()[-1500:]}"
    if REFERENCE:
        found = [ln for ln in found if "response completed" in ln]   # its app log line
    else:
        assert len(found) == 1, f"expected one line per request for {path}:\n" + "\n".join(found)
    line = found[-1]
    if method:
        assert method in line
    assert re.search(rf"\b{status}\b", line), line
    for what, rx in KEYS.items():
        assert rx.search(line), f"log line lacks {what}: {line}"
    if case != "push":
        m = KEYS["bytes"].search(line)
        assert int(re.findall(r"\d+", m.group(0))[-1]) == size, line


def test_request_ids_differ(registry):
    reg = Registry(registry.url)
    tag = uuid.uuid4().hex[:10]
    for _ in range(3):
        reg.get_manifest("logs/ids", tag)
    found = wait_for(registry, f"/v2/logs/ids/manifests/{tag}", 3)
    if REFERENCE:
        found = [ln for ln in found if "response completed" in ln]
    ids = [KEYS["request id"].search(ln).group(0) for ln in found]
    assert len(ids) == 3 and len(set(ids)) == 3, found
