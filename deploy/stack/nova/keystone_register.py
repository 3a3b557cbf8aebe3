"""Register the local stack's Nova in its Keystone, idempotently: project 'service', the service
users (admin + service roles) and public/internal/admin endpoints in RegionOne.

One keystoneauth process (about 3 s) instead of ~40 `openstack` CLI calls (about 65 s).
usage: python keystone_register.py AUTH_URL ADMIN_PASSWORD_FILE SERVICE_PASSWORD_FILE
(endpoints as NAME=TYPE=URL arguments follow).
"""

import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3

auth_url, admin_file, service_file, *endpoints = sys.argv[1:]
REGION = "RegionOne"
K = auth_url.rstrip("/")
s = session.Session(
    auth=v3.Password(
        auth_url=auth_url, username="admin", password=open(admin_file).read().strip(),
        project_name="admin", user_domain_id="default", project_domain_id="default",
    ),
    timeout=30,
)
service_password = open(service_file).read().strip()


def get(path: str, **params: str) -> dict:
    return s.get(K + path, params=params).json()


def ensure(coll: str, key: str, query: dict, body: dict) -> tuple[str, bool]:
    found = get("/" + coll, **query)[coll]
    if found:
        return found[0]["id"], False
    return s.post(K + "/" + coll, json={key: body}).json()[key]["id"], True


project, _ = ensure("projects", "project", {"name": "service", "domain_id": "default"},
                    {"name": "service", "domain_id": "default", "description": "Service project"})
roles = {r["name"]: r["id"] for r in get("/roles")["roles"]}
if "service" not in roles:
    roles["service"], _ = ensure("roles", "role", {"name": "service"}, {"name": "service"})
for user in ("nova", "placement", "glance"):
    uid, created = ensure("users", "user", {"name": user, "domain_id": "default"},
                          {"name": user, "domain_id": "default", "password": service_password,
                           "enabled": True})
    if not created:  # keep it in step with the rendered config files
        s.patch(K + f"/users/{uid}", json={"user": {"password": service_password}})
    for role in ("admin", "service"):
        s.put(K + f"/projects/{project}/users/{uid}/roles/{roles[role]}")
for spec in endpoints:
    name, stype, url = spec.split("=", 2)
    sid, _ = ensure("services", "service", {"name": name, "type": stype},
                    {"name": name, "type": stype, "enabled": True})
    for itf in ("public", "internal", "admin"):
        found = get("/endpoints", service_id=sid, interface=itf, region_id=REGION)["endpoints"]
        if found and found[0]["url"] != url:
            s.patch(K + f"/endpoints/{found[0]['id']}", json={"endpoint": {"url": url}})
        elif not found:
            s.post(K + "/endpoints", json={"endpoint": {
                "service_id": sid, "interface": itf, "region_id": REGION, "url": url,
                "enabled": True}})
    print(f"registered {name} ({stype}) {url}")
