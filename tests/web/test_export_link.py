"""The patient's pages link to their own data export, and the link works with their cookie."""

from __future__ import annotations

import io
import json
import re
import zipfile

from fastapi.testclient import TestClient

from tests.conftest import PATIENT
from tests.support import form_token

_LINK = re.compile(r'<a href="([^"]+)" id="download-data">')


def test_the_review_page_links_a_zip_of_the_patients_own_data(client: TestClient) -> None:
    started = client.post("/start", data={**PATIENT, "csrf_token": form_token(client, "/")})
    assert started.status_code == 201

    link = _LINK.search(client.get("/intake/review").text)
    assert link, "no download link on the review page"
    download = client.get(link.group(1))

    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        exported = json.loads(archive.read("export.json"))
    assert exported["patient"]["email"] == PATIENT["email"]


def test_a_stranger_following_the_link_gets_nothing(client: TestClient) -> None:
    started = client.post("/start", data={**PATIENT, "csrf_token": form_token(client, "/")})
    assert started.status_code == 201
    link = _LINK.search(client.get("/intake/review").text)
    assert link
    client.cookies.clear()

    assert client.get(link.group(1)).status_code == 401
