"""Composable index templates (ECS mappings) for osmon's log and event data streams.

Field types follow ECS where the server has them and fall back where it does not: OpenSearch
gained ``match_only_text`` in 2.12 and ``wildcard`` in 2.15, and has no ``constant_keyword``;
older releases get ``text``/``keyword`` instead. Event traits are mapped by their Ceilometer type
(``traits.int.*`` long, ``traits.float.*`` double, ``traits.datetime.*`` date, ``traits.text.*``
keyword) through dynamic templates. Unmapped strings become ``keyword`` (``openstack.*``
included) so Kibana can aggregate on them.
"""

from __future__ import annotations

from typing import Any

from osmon.sinks.elasticsearch.client import Flavor

LOGS_TEMPLATE = "osmon-logs-openstack"
EVENTS_TEMPLATE = "osmon-events-openstack"
LOGS_PATTERN = "logs-openstack.*-*"
TEMPLATE_VERSION = 2
TRAITS = "openstack.notification.traits"


def _kw(**extra: Any) -> dict[str, Any]:
    return {"type": "keyword", "ignore_above": 1024, **extra}


def _obj(**props: dict[str, Any]) -> dict[str, Any]:
    return {"properties": props}


class FieldTypes:
    """The best available type for each role on one server flavor/version."""

    def __init__(self, flavor: Flavor, version: tuple[int, ...]) -> None:
        es = flavor == "elasticsearch"
        self.text = {"type": "match_only_text"} if es or version >= (2, 12) else {"type": "text"}
        self.wildcard = {"type": "wildcard"} if es or version >= (2, 15) else _kw()
        self.constant = {"type": "constant_keyword"} if es else _kw()


def _common(t: FieldTypes) -> dict[str, Any]:
    return {
        "@timestamp": {"type": "date"},
        "message": t.text,
        "data_stream": _obj(type=t.constant, dataset=t.constant, namespace=t.constant),
        "ecs": _obj(version=_kw()),
        "host": _obj(name=_kw(), hostname=_kw()),
        "service": _obj(name=_kw(), type=_kw()),
        "openstack": _obj(
            request_id=_kw(),
            global_request_id=_kw(),
            user_id=_kw(),
            project_id=_kw(),
            domain_id=_kw(),
            instance_id=_kw(),
        ),
    }


_DYNAMIC = [
    {
        "strings_as_keyword": {
            "match_mapping_type": "string",
            "mapping": {"type": "keyword", "ignore_above": 1024},
        }
    }
]


_TRAIT_MAPPINGS: dict[str, dict[str, Any]] = {
    "int": {"type": "long"},
    "float": {"type": "double"},
    "datetime": {"type": "date"},
    "text": {"type": "keyword", "ignore_above": 1024},
}
_TRAIT_DYNAMIC = [
    {f"trait_{kind}": {"path_match": f"{TRAITS}.{kind}.*", "mapping": mapping}}
    for kind, mapping in _TRAIT_MAPPINGS.items()
]


def logs_template(flavor: Flavor, version: tuple[int, ...], priority: int) -> dict[str, Any]:
    t = FieldTypes(flavor, version)
    props = _common(t)
    props.update(
        log=_obj(level=_kw(), logger=_kw(), file=_obj(path=_kw()), offset={"type": "long"}),
        process=_obj(pid={"type": "long"}, name=_kw(), thread=_obj(id={"type": "long"})),
        error=_obj(message=t.text, type=_kw(), stack_trace=t.wildcard),
        http=_obj(
            version=_kw(),
            request=_obj(method=_kw()),
            response=_obj(status_code={"type": "long"}, body=_obj(bytes={"type": "long"})),
        ),
        url=_obj(path=t.wildcard, original=t.wildcard, query=_kw()),
        source=_obj(ip={"type": "ip"}, port={"type": "long"}),
        user_agent=_obj(original=_kw()),
        event=_obj(
            original={"type": "keyword", "index": False, "doc_values": False},
            duration={"type": "long"},
            dataset=_kw(),
            kind=_kw(),
            category=_kw(),
            outcome=_kw(),
        ),
    )
    return _template([LOGS_PATTERN], priority, props, "osmon: OpenStack service logs (ECS)")


def events_template(
    flavor: Flavor, version: tuple[int, ...], priority: int, stream: str
) -> dict[str, Any]:
    t = FieldTypes(flavor, version)
    props = _common(t)
    props["openstack"]["properties"]["notification"] = _obj(
        event_type=_kw(),
        publisher_id=_kw(),
        priority=_kw(),
        traits=_obj(**{kind: {"type": "object"} for kind in _TRAIT_MAPPINGS}),
    )
    props.update(
        event=_obj(
            original={"type": "keyword", "index": False, "doc_values": False},
            action=_kw(),
            id=_kw(),
            kind=_kw(),
            dataset=_kw(),
        )
    )
    return _template(
        [stream], priority, props, "osmon: OpenStack notifications", _TRAIT_DYNAMIC + _DYNAMIC
    )


def _template(
    patterns: list[str],
    priority: int,
    props: dict[str, Any],
    description: str,
    dynamic: list[dict[str, Any]] = _DYNAMIC,
) -> dict[str, Any]:
    return {
        "index_patterns": patterns,
        "data_stream": {},
        "priority": priority,
        "template": {"mappings": {"dynamic_templates": dynamic, "properties": props}},
        "_meta": {"managed_by": "osmon", "version": TEMPLATE_VERSION, "description": description},
        "version": TEMPLATE_VERSION,
    }
