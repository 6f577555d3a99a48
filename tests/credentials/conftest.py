"""Fixtures of the credential signing tests: deterministic keys and the node reference harness."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openedx_microcred.credentials.documents import bundled_contexts

JS_DIR = Path(__file__).resolve().parents[1] / "js"
NPM_CI_TIMEOUT = 300
NODE_TIMEOUT = 120


@pytest.fixture(scope="session")
def issuer_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture(scope="session")
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


class NodeHarness:
    """Runs the scripts of ``tests/js`` (one node process per call, JSON in and out)."""

    def __init__(self, node: str):
        self.node = node

    def run(self, script: str, payload: dict[str, Any]) -> str:
        """The stdout of ``node <script>`` fed ``payload``; fails the test on a non-zero exit."""
        completed = subprocess.run(
            [self.node, script], input=json.dumps(payload), cwd=JS_DIR, capture_output=True,
            text=True, timeout=NODE_TIMEOUT, check=False,
        )
        if completed.returncode != 0:
            pytest.fail(f"node {script} exited {completed.returncode}: {completed.stderr}")
        return completed.stdout

    def verify(self, credentials: list[dict], documents: dict[str, Any]) -> list[dict]:
        """``{"verified", "error"}`` for each credential, from ``@digitalbazaar/vc``."""
        payload = {"credentials": credentials, "documents": {**bundled_contexts(), **documents}}
        return json.loads(self.run("verify.mjs", payload))["results"]

    def canonize(self, documents_to_canonize: list[dict]) -> list[str | dict]:
        """rdf-canonize's N-Quads (or ``{"error": …}``) for each document, bundled contexts only."""
        payload = {"batch": documents_to_canonize, "documents": bundled_contexts()}
        return json.loads(self.run("canonize.mjs", payload))["results"]

    def issue(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The output of ``issue.mjs`` (signed credential and timing)."""
        payload = {**payload, "documents": {**bundled_contexts(), **payload.get("documents", {})}}
        return json.loads(self.run("issue.mjs", payload))


@pytest.fixture(scope="session")
def node() -> NodeHarness:
    """The reference JavaScript stack, installed with ``npm ci`` when missing or stale.

    Fails (never skips) without node and npm: the interoperability checks are the point.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are required: tests/js holds the reference verifier")
    installed = JS_DIR / "node_modules" / ".package-lock.json"
    lock = JS_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True,
            timeout=NPM_CI_TIMEOUT, check=False,
        )
        if completed.returncode != 0:
            pytest.fail(f"npm ci failed in {JS_DIR}: {completed.stderr}")
    return NodeHarness(node)
