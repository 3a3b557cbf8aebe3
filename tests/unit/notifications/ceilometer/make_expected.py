"""Writes expected.json with Ceilometer's own code (not part of osmon's test run).

Run once with a throwaway venv holding ceilometer (27.0.0 was used):
``/var/tmp/ceilo-venv/bin/python make_expected.py``. It loads Ceilometer's shipped meters.yaml
from ../shared/data/ceilometer and converts notifications.json with
``ceilometer.meter.notifications.ProcessMeterNotifications.build_sample``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore")

from ceilometer import service  # type: ignore[import-not-found]  # noqa: E402
from ceilometer.meter import notifications  # type: ignore[import-not-found]  # noqa: E402

HERE = Path(__file__).parent
DATA = HERE.parents[3].parent / "shared" / "data" / "ceilometer"


def main() -> None:
    conf = service.prepare_service([], [])
    tmp = tempfile.mkdtemp()  # the directory must hold meters.yaml alone
    shutil.copy(DATA / "meters.yaml", tmp)
    conf.set_override("meter_definitions_dirs", [tmp], group="meter")
    endpoint = notifications.ProcessMeterNotifications(conf, None)
    cases = json.loads((HERE / "notifications.json").read_text(encoding="utf-8"))
    out: list[list[dict[str, Any]]] = []
    for message in cases:
        samples = []
        for s in endpoint.build_sample(message):
            samples.append(
                {
                    "name": s.name,
                    "type": s.type,
                    "unit": s.unit,
                    "volume": s.volume,
                    "resource_id": s.resource_id,
                    "project_id": s.project_id,
                    "user_id": s.user_id,
                    "timestamp": s.timestamp,
                    "metadata": s.resource_metadata,
                }
            )
        out.append(samples)
    (HERE / "expected.json").write_text(
        json.dumps(out, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    print(sum(len(x) for x in out), "samples for", len(out), "notifications")


if __name__ == "__main__":
    main()
