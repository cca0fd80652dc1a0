"""Where files go: the file system by default, an S3 bucket when one is named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def storages_with(env: dict[str, str]) -> dict[str, object]:
    script = "import json, config.settings as s; print(json.dumps(s.STORAGES['default']))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "1", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_file_system_by_default() -> None:
    assert storages_with({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_when_a_bucket_is_named() -> None:
    default = storages_with(
        {
            "AWS_STORAGE_BUCKET_NAME": "parley-files",
            "AWS_S3_ENDPOINT_URL": "https://s3.example.com",
            "AWS_S3_REGION_NAME": "eu-west-1",
        }
    )
    assert default == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "parley-files",
            "endpoint_url": "https://s3.example.com",
            "region_name": "eu-west-1",
            "location": "",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


def test_the_s3_options_are_ones_django_storages_accepts() -> None:
    s3 = pytest.importorskip("storages.backends.s3", reason="the optional s3 extra")
    options = storages_with({"AWS_STORAGE_BUCKET_NAME": "parley-files"})["OPTIONS"]
    assert isinstance(options, dict)
    storage = s3.S3Storage(**options)
    assert (storage.bucket_name, storage.default_acl, storage.file_overwrite) == (
        "parley-files",
        "private",
        False,
    )
