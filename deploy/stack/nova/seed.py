"""Give the local stack's Nova what a boot needs, idempotently: flavor fake.tiny and a 1 KiB raw
image fake-image (the fake virt driver only advertises raw).
usage: python seed.py AUTH_URL ADMIN_PASSWORD_FILE
"""

import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3

auth_url, admin_file = sys.argv[1:3]
s = session.Session(
    auth=v3.Password(
        auth_url=auth_url, username="admin", password=open(admin_file).read().strip(),
        project_name="admin", user_domain_id="default", project_domain_id="default",
    ),
    timeout=30,
)
compute = {"service_type": "compute", "interface": "public"}
image = {"service_type": "image", "interface": "public"}
if s.get("/flavors/fake.tiny", endpoint_filter=compute, raise_exc=False).status_code == 404:
    s.post("/flavors", endpoint_filter=compute, json={"flavor": {
        "id": "fake.tiny", "name": "fake.tiny", "ram": 64, "disk": 1, "vcpus": 1}})
found = s.get("/v2/images?name=fake-image", endpoint_filter=image).json()["images"]
if not [i for i in found if i["status"] == "active"]:
    img = s.post("/v2/images", endpoint_filter=image, json={
        "name": "fake-image", "disk_format": "raw", "container_format": "bare",
        "visibility": "public"}).json()
    s.put(f"/v2/images/{img['id']}/file", endpoint_filter=image, data=b"\0" * 1024,
          headers={"Content-Type": "application/octet-stream"})
print("flavor fake.tiny and image fake-image present")
