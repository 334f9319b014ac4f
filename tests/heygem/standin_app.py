"""A small stand-in for the HeyGem apps, copied into fixture installs as their app.py /
app_server.py.  Like the real apps it loads its model at start and refuses to start without a
valid one; then it serves the health endpoint on its port.

    app.py --port N --model-path models/x.pth            (HeyGem WebUI: GET / -> 200 HTML)
    app_server.py                                        (Linux-Python-Hack: port from
                                                          config/config.ini, GET /health)
    app.py --docker --port N                             (Docker video service: /easy/query JSON)
GET /model answers the sha256 of the model loaded at start (to see that a restart is needed).
"""

import argparse
import configparser
import hashlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HACK_MODEL = "landmark2face_wy/checkpoints/anylang/dinet_v1_20240131.pth"


def load_model(path):
    if not os.path.isfile(path):
        sys.exit(f"error: model file {path} not found")
    with open(path, "rb") as fh:
        data = fh.read()
    if not data:
        sys.exit(f"error: model file {path} is empty")
    if data.startswith(b"PK\x03\x04"):
        if b"PK\x05\x06" not in data[-65557:]:
            sys.exit(f"error: model file {path} is truncated")
    elif not data.startswith(b"\x80\x02"):
        sys.exit(f"error: invalid load key in {path}")
    return hashlib.sha256(data).hexdigest()


def main():
    here = os.path.dirname(os.path.abspath(sys.argv[0]))
    os.chdir(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int)
    ap.add_argument("--model-path")
    ap.add_argument("--docker", action="store_true")
    a = ap.parse_args()
    if a.docker:
        port, model_sha, mode = a.port, None, "docker"
    elif a.port:
        port, model_sha, mode = a.port, load_model(a.model_path or "models/heygem_model_v1.0.pth"), "webui"
    else:
        cp = configparser.ConfigParser()
        cp.read("config/config.ini")
        port = cp.getint("http_server", "server_port")
        model_sha, mode = load_model(HACK_MODEL), "hack"

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, code, body, ctype):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/model":
                return self._send(200, json.dumps({"sha256": model_sha}).encode(), "application/json")
            if mode == "docker":
                if self.path.startswith("/easy/query"):
                    body = {"code": 10004, "msg": "task not found", "success": False}
                    return self._send(200, json.dumps(body).encode(), "application/json")
                return self._send(404, b"{}", "application/json")
            if mode == "hack" and self.path == "/health":
                return self._send(200, b'{"status": "ok"}', "application/json")
            if mode == "webui" and self.path == "/":
                return self._send(200, b"<html><body>HeyGem stand-in</body></html>", "text/html")
            return self._send(404, b"not found", "text/plain")

    srv = ThreadingHTTPServer(("127.0.0.1", port), H)
    print(f"serving {mode} on {port}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
