"""Fixtures for the checkpoint tests: seeded TensorFlow, the three storages, an S3 server.

``setup`` runs when this file is imported, before any test module imports TensorFlow, so the
C++ start-up lines stay quiet and the seeds are set once for the session.
"""

from __future__ import annotations

import uuid

import pytest

from course_utils.notebook import setup

SETUP_INFO = setup(seed=0)

from course_utils.checkpoints import CloudStorage, InMemoryStorage, LocalStorage  # noqa: E402

STORAGE_KINDS = ("local", "memory", "cloud")


def make_storage(kind: str, tmp_path):
    """A fresh, empty storage of one kind (``memory://`` paths are unique: that fs is global)."""
    if kind == "local":
        return LocalStorage(tmp_path / "ckpts")
    if kind == "memory":
        return InMemoryStorage()
    if kind == "cloud":
        return CloudStorage(f"memory://course-utils-tests/{uuid.uuid4().hex}/run")
    raise ValueError(kind)


@pytest.fixture(params=STORAGE_KINDS)
def storage(request, tmp_path):
    """Each test using it runs once per ``Storage`` implementation."""
    return make_storage(request.param, tmp_path)


@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto S3 server on 127.0.0.1 (this process, a thread) and fake credentials.

    Credentials, region and "no instance metadata" come from the environment, so that neither
    boto3 nor s3fs looks for anything beyond 127.0.0.1.
    """
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1",
        }.items():
            patch.setenv(name, value)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            assert host == "127.0.0.1"
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A new, empty bucket on the moto server; returns ``(boto3 client, bucket name)``."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    bucket = f"ckpt-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket
