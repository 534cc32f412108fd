"""The provider component hosted by Python (wasmtime) against the emulator, through the
`ycprov-host` package as a user installs it (`pip install packages/python`): the three
AI Studio steps through the `iam` export, typed errors, the host's HTTP rules, the
response-size cap, and a fresh instance after a trap.

Run: `python -m unittest -v test_provider` in this directory. The component, the
emulator binary and the repository root may be given with YCPROV_COMPONENT and
YC_EMULATOR; the defaults are under target/.
"""

import json
import os
import subprocess
import time
import unittest
import urllib.request
from pathlib import Path

from wasmtime.component import Record, Variant

from ycprov_host import ApiError, Http, Provider, ProviderHost, Trapped, record

ROOT = Path(__file__).resolve().parents[3]
EMULATOR = os.environ.get("YC_EMULATOR", str(ROOT / "target/debug/yc-emulator"))
COMPONENT = os.environ.get("YCPROV_COMPONENT", str(ROOT / "target/polyglot/provider.wasm"))

ROLE = "ai.languageModels.user"
SCOPE = "yc.ai.languageModels.execute"


class Emulator:
    """target/debug/yc-emulator on a free port; `info` is its start line."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [EMULATOR, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{EMULATOR} exited with {self.process.wait()} before it started")
        self.info = json.loads(line)

    def state(self) -> dict:
        """GET /_emulator/state: `{service_accounts, folder_bindings, api_keys}`."""
        with urllib.request.urlopen(f"{self.info['endpoint']}/_emulator/state") as reply:
            return json.load(reply)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()


class ProviderOnPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        for needed in (EMULATOR, COMPONENT):
            if not Path(needed).exists():
                raise FileNotFoundError(f"{needed} is missing: run scripts/test-polyglot (it builds it)")
        cls.emulator = Emulator()
        cls.addClassCleanup(cls.emulator.stop)
        info = cls.emulator.info
        cls.folder_id = info["folder_id"]
        cls.token = info["token"]
        cls.logs = []
        started = time.perf_counter()
        cls.host = ProviderHost(
            COMPONENT,
            token=info["token"],
            endpoint=info["endpoint"],
            cloud_id=info["cloud_id"],
            folder_id=info["folder_id"],
            on_log=lambda level, message: cls.logs.append((level, message)),
        )
        cls.compile_ms = (time.perf_counter() - started) * 1000

    def test_three_steps_leave_the_emulator_in_the_expected_state(self) -> None:
        provider = self.host.instantiate()
        timings = {}

        def step(name, *args):
            started = time.perf_counter()
            result = provider.iam(name, *args)
            timings[name] = (time.perf_counter() - started) * 1000
            self.assertNotIsInstance(result, Variant, f"{name} failed: {result}")
            return result

        account = step(
            "create-account",
            record(folder_id=self.folder_id, name="polyglot-python", description="made by the Python host",
                   labels=[("host", "python")]),
        )
        self.assertIsInstance(account, Record)
        self.assertEqual(account.name, "polyglot-python")
        self.assertEqual(getattr(account, "folder-id"), self.folder_id)
        self.assertEqual(account.labels, [("host", "python")])

        subject = record(kind="serviceAccount", id=account.id)
        self.assertIsNone(step("bind-role", self.folder_id, ROLE, subject))

        created = step(
            "create-key",
            record(service_account_id=account.id, description="python key", scopes=[SCOPE], expires_at=None),
        )
        self.assertEqual(getattr(created.key, "service-account-id"), account.id)
        self.assertEqual(created.key.scopes, [SCOPE])
        self.assertGreater(len(created.secret), 20)

        state = self.emulator.state()
        accounts = [a for a in state["service_accounts"] if a["name"] == "polyglot-python"]
        self.assertEqual(
            [(a["id"], a["folder_id"], a["description"], a["labels"]) for a in accounts],
            [(account.id, self.folder_id, "made by the Python host", {"host": "python"})],
        )
        self.assertIn(
            {"role_id": ROLE, "subject_type": "serviceAccount", "subject_id": account.id},
            state["folder_bindings"][self.folder_id],
        )
        keys = [k for k in state["api_keys"] if k["service_account_id"] == account.id]
        self.assertEqual(
            [(k["id"], k["scopes"], k["description"], k["masked_secret"]) for k in keys],
            [(created.key.id, [SCOPE], "python key", "****" + created.secret[-6:])],
        )
        print(f"\n  compile {self.compile_ms:.1f} ms; "
              + "; ".join(f"{name} {ms:.1f} ms" for name, ms in timings.items()))

    def test_duplicate_account_name_is_a_typed_api_error(self) -> None:
        provider = self.host.instantiate()
        spec = record(folder_id=self.folder_id, name="polyglot-python-twice", description=None, labels=[])
        self.assertIsInstance(provider.iam("create-account", spec), Record)
        error = provider.iam("create-account", spec)
        self.assertIsInstance(error, Variant)
        self.assertEqual(error.tag, "api")
        self.assertEqual(error.payload.code, "already-exists")
        self.assertEqual(getattr(error.payload, "http-status"), 409)
        self.assertIn("polyglot-python-twice", error.payload.message)

    def test_typed_errors_are_raised_by_the_provider_facade(self) -> None:
        provider = Provider(COMPONENT, token=self.token, endpoint=self.emulator.info["endpoint"],
                            folder_id=self.folder_id, on_log=lambda level, message: None)
        spec = record(folder_id=self.folder_id, name="polyglot-python-raised", description=None, labels=[])
        self.assertEqual(provider.iam("create-account", spec).name, "polyglot-python-raised")
        with self.assertRaises(ApiError) as raised:
            provider.iam("create-account", spec)
        self.assertEqual(raised.exception.code, "already-exists")
        self.assertIn("polyglot-python-raised", raised.exception.message)

    def test_a_trap_discards_the_instance_and_the_next_call_gets_a_fresh_one(self) -> None:
        broken = {"armed": True}

        def on_log(level: str, message: str) -> None:
            if broken["armed"]:
                broken["armed"] = False
                raise RuntimeError("the log sink failed")

        provider = Provider(COMPONENT, token=self.token, endpoint=self.emulator.info["endpoint"],
                            folder_id=self.folder_id, on_log=on_log)
        with self.assertRaises(Trapped):
            provider.iam("list-accounts", self.folder_id)
        self.assertIsInstance(provider.iam("list-accounts", self.folder_id), list)

    def test_responses_over_the_cap_are_too_large(self) -> None:
        capped = Http(self.token, self.emulator.info["endpoint"], max_response_bytes=16)
        list_url = f"https://iam.api.cloud.yandex.net/iam/v1/serviceAccounts?folderId={self.folder_id}"
        outcome = capped.send(None, record(method="get", url=list_url, headers=[], body=None))
        self.assertIsInstance(outcome, Variant)
        self.assertEqual((outcome.tag, outcome.payload), ("too-large", 16))

    def test_http_import_enforces_the_host_policy(self) -> None:
        list_url = f"https://iam.api.cloud.yandex.net/iam/v1/serviceAccounts?folderId={self.folder_id}"

        def get(url, headers=()):
            return self.host.http.send(None, record(method="get", url=url, headers=list(headers), body=None))

        with self.subTest("a Yandex origin is routed to the endpoint with the host token"):
            response = get(list_url)
            self.assertIsInstance(response, Record)
            self.assertEqual(response.status, 200)
            self.assertIsInstance(json.loads(response.body), dict)

        with self.subTest("without a host token the emulator answers 401"):
            tokenless = Http(None, self.emulator.info["endpoint"])
            response = tokenless.send(None, record(method="get", url=list_url, headers=[], body=None))
            self.assertEqual(response.status, 401)

        refusals = [
            ("an origin outside the allow-list", "https://example.com/iam/v1/serviceAccounts", []),
            ("the metadata service", "http://169.254.169.254/computeMetadata/v1/", []),
            ("another port of a Yandex host", "https://iam.api.cloud.yandex.net:8443/x", []),
            ("user information in the URL", "https://user@iam.api.cloud.yandex.net/x", []),
            ("a non-http scheme", "file:///etc/passwd", []),
            ("a guest Authorization header", list_url, [("Authorization", "Bearer guest-token")]),
            ("a guest Cookie header", list_url, [("cookie", "a=b")]),
        ]
        for what, url, headers in refusals:
            with self.subTest(f"refuses {what}"):
                outcome = get(url, headers)
                self.assertIsInstance(outcome, Variant)
                self.assertEqual(outcome.tag, "denied")

    def test_guest_sees_an_identity_never_the_token(self) -> None:
        identity = self.host.current_identity(None)
        self.assertEqual(
            (identity.source, identity.subject, dict(identity.attributes)["cloud-id"]),
            ("iam-token", None, self.emulator.info["cloud_id"]),
        )
        self.assertNotIn(self.token, repr(vars(identity)))
        self.host.instantiate().iam("list-accounts", self.folder_id)
        self.assertTrue(all(self.token not in message for _, message in self.logs))


if __name__ == "__main__":
    unittest.main()
