"""A keyring backend that keeps secrets in a plain-text file, like keyrings.alt's
PlaintextKeyring does. The project never installs keyrings.alt (keyring would
then silently store secrets in clear text); this stand-in lets tests prove that
such a backend is refused."""

from __future__ import annotations

import json
import os

from keyring.backend import KeyringBackend


class PlaintextKeyring(KeyringBackend):
    priority = 0.5
    file_path = os.path.join(os.path.expanduser("~"), "plaintext-keyring.json")

    def _load(self) -> dict:
        try:
            with open(self.file_path, encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return {}

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        with open(self.file_path, "w", encoding="utf-8") as fh:
            json.dump(data, fh)

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def delete_password(self, service, username):
        data = self._load()
        data.pop(f"{service}/{username}", None)
        with open(self.file_path, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
