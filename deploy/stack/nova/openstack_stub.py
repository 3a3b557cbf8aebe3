"""Neutron and Cinder API stand-ins for the local stack, where neither can run.

Neutron agents and Cinder volume backends cannot run on these machines, so this stdlib server
answers with bodies in the documented response formats:
  - Networking API v2.0, "List all agents", GET /v2.0/agents
    https://docs.openstack.org/api-ref/network/v2/index.html#list-all-agents
    (every other GET /v2.0/<collection> is an empty list, so Nova can show and delete servers
    booted with networks=none; DELETE is 204);
  - Block Storage API v3, "List All Cinder Services", GET /v3/{project_id}/os-services
    https://docs.openstack.org/api-ref/block-storage/v3/index.html#list-all-cinder-services
The bodies are the JSON files beside this script (stubs/), one agent or service up and one down,
on the stack's hosts. Both are registered in the stack's Keystone as 'network' and
'block-storage' so probes find them through the catalog.
usage: python openstack_stub.py NEUTRON_PORT CINDER_PORT
"""

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STUBS = Path(__file__).resolve().parent / "stubs"


def _body(name: str) -> object:
    return json.loads((STUBS / name).read_text())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_json(self, code: int, body: object = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_DELETE(self) -> None:
        self.send_json(204)

    def do_POST(self) -> None:
        self.send_json(501, {"error": "not implemented by the local stack's stub"})

    do_PUT = do_POST

    def log_message(self, fmt: str, *args: object) -> None:
        sys.stderr.write(f"{self.log_date_time_string()} {fmt % args}\n")


class Neutron(_Handler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "":
            base = f"http://127.0.0.1:{self.server.server_port}/v2.0/"
            self.send_json(200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                                               "links": [{"href": base, "rel": "self"}]}]})
        elif path == "/v2.0/agents":
            self.send_json(200, _body("neutron-agents.json"))
        elif m := re.fullmatch(r"/v2\.0/([a-z_-]+)", path):
            self.send_json(200, {m.group(1).replace("-", "_"): []})
        else:
            self.send_json(404, {"NeutronError": {"type": "NotFound", "message": path}})


class Cinder(_Handler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "":
            self.send_json(300, {"versions": [{"id": "v3.0", "status": "CURRENT"}]})
        elif re.fullmatch(r"/v3/[0-9a-f]+/os-services", path):
            self.send_json(200, _body("cinder-os-services.json"))
        else:
            self.send_json(404, {"itemNotFound": {"code": 404, "message": path}})


def main() -> None:
    servers = [ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Neutron),
               ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Cinder)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
