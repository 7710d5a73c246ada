"""Hypothesis strategies for requests to the gateway: real route shapes with hostile parts.

Paths are built from the routes the gateway knows (so most requests get past the first check
and reach lookups, lists, creates and pods) with junk spliced into ids, projects, queries and
segments; headers and bodies are valid-ish, wrong-typed, malformed or oversized.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from hypothesis import strategies as st

from tests.fuzz.raw_http import RawRequest

__all__ = ["Known", "gateway_requests"]

METHODS = (b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"HEAD", b"OPTIONS")
JUNK_METHODS = (b"get", b"FOO", b"PROPFIND", b"TRACE", b"M-SEARCH", b"X" * 40)
# A little over Envoy's and aiohttp's default 1 MiB buffer, and a little under.
BIG_BODY_SIZES = (1_048_576 - 512, 1_048_576 + 512)


@dataclass(frozen=True, slots=True)
class Known:
    """Real ids and projects in the fuzzed cloud, so requests reach routing and pods."""

    projects: tuple[str, ...]
    servers: tuple[str, ...]
    volumes: tuple[str, ...]
    snapshots: tuple[str, ...]


_UUIDISH = st.uuids().map(str)
_TEXT = st.text(max_size=24)
_HOSTILE_SEGMENTS = st.sampled_from(
    (
        "..", ".", "%2e%2e", "%2E%2e", "%2f", "..%2f..", "%5c", "a%00b", "%0d%0a", "%7f",
        "~", "%", "%zz", "%%", "a;b", "a,b", "*", "'", '"', "<script>", "\u00e9", "%c3%a9",
        "%ff%fe", "x" * 65, "y" * 300, "z" * 5000, "-", "_", "0", "detail", "action",
    )
)  # fmt: skip
_RAW_CONTROL = st.sampled_from(("a\tb", "a\x01b", "a\x7fb", "\x00", " "))


def _segment(text: str) -> str:
    """Unicode and odd characters as a client would send them: percent-encoded."""
    return quote(text, safe="")


def _id_of(known: Sequence[str]) -> st.SearchStrategy[str]:
    options = [_UUIDISH, _HOSTILE_SEGMENTS, _TEXT.map(_segment), _RAW_CONTROL]
    if known:
        options.insert(0, st.sampled_from(known))
    return st.one_of(*options)


def _project(known: Known) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(known.projects),
        st.sampled_from(known.projects),
        _UUIDISH.map(lambda text: text.replace("-", "")),
        _HOSTILE_SEGMENTS,
        _TEXT.map(_segment),
    )


def _query() -> st.SearchStrategy[str]:
    keys = st.sampled_from(
        ("limit", "marker", "sort_key", "sort_dir", "all_tenants", "name", "status",
         "changes-since", "offset", "with_count", "detail", "x", "", "%00", "limit[]")
    )  # fmt: skip
    values = st.one_of(
        st.sampled_from(("1", "0", "-1", "1000000000000", "asc", "desc", "up", "True", "1.5")),
        st.sampled_from(("name", "id", "created_at", "display_name", "size", "%zz", "")),
        _UUIDISH,
        _TEXT.map(_segment),
    )
    pair = st.tuples(keys, values).map(lambda kv: f"{kv[0]}={kv[1]}")
    return st.lists(pair, max_size=5).map(lambda pairs: "?" + "&".join(pairs) if pairs else "")


def _tails(known: Known) -> st.SearchStrategy[str]:
    """The part after /{api}/{project}: collections, members and what hangs below them."""
    server, volume, snapshot = _id_of(known.servers), _id_of(known.volumes), _id_of(known.snapshots)
    any_id = st.one_of(server, volume, snapshot)
    key = st.one_of(st.sampled_from(("k", "key1", "")), _HOSTILE_SEGMENTS)
    fixed = st.sampled_from(
        (
            "servers", "servers/", "servers/detail", "servers/detail/x", "flavors",
            "flavors/detail", "flavors/1", "os-keypairs", "os-keypairs/kp", "limits",
            "os-availability-zone", "os-availability-zone/detail", "os-server-external-events",
            "os-services", "os-hypervisors", "os-hypervisors/detail", "os-quota-sets",
            "volumes", "volumes/detail", "snapshots", "snapshots/detail", "backups", "types",
            "types/1", "nothing-here", "", "//servers", "servers//detail", "../servers",
            "os-server-groups", "os-volumes/detail", "os-snapshots", "images/detail",
            "images/x/metadata/k", "extensions", "os-security-groups", "os-floating-ips/1",
        )
    )  # fmt: skip
    member = st.one_of(
        st.builds("servers/{}".format, server),
        st.builds("servers/{}/action".format, server),
        st.builds("servers/{}/metadata".format, server),
        st.builds("servers/{}/metadata/{}".format, server, key),
        st.builds("servers/{}/os-volume_attachments".format, server),
        st.builds("servers/{}/os-volume_attachments/{}".format, server, volume),
        st.builds("servers/{}/os-interface".format, server),
        st.builds("servers/{}/tags/{}".format, server, key),
        st.builds("volumes/{}".format, volume),
        st.builds("volumes/{}/action".format, volume),
        st.builds("volumes/{}/metadata/{}".format, volume, key),
        st.builds("snapshots/{}".format, snapshot),
        st.builds("backups/{}".format, any_id),
        st.builds("os-quota-sets/{}".format, _project(known)),
        st.builds("os-quota-sets/{}/detail".format, _project(known)),
        st.builds("{}/{}".format, _HOSTILE_SEGMENTS, any_id),
    )
    return st.one_of(fixed, member)


def _targets(known: Known) -> st.SearchStrategy[bytes]:
    api = st.sampled_from(("v2.1", "v3", "v2.1", "v3", "v2", "V3", "v3.0"))
    roots = api.flatmap(lambda v: st.sampled_from(("/", f"/{v}", f"/{v}/", "//", "/..", "*")))
    below = st.builds("/{}/{}/{}".format, api, _project(known), _tails(known))
    paths = st.one_of(roots, *[below] * 9)
    return st.builds(lambda path, query: (path + query).encode(), paths, _query())


_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), _TEXT
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
_FIELDS = (
    "name", "flavorRef", "imageRef", "availability_zone", "size", "volume_id", "volumeId",
    "server_id", "instance_uuid", "metadata", "key_name", "block_device_mapping_v2",
    "description", "force", "os-attach", "os-detach", "reboot", "os-stop", "events",
)  # fmt: skip
_MEMBERS = (
    "server", "volume", "snapshot", "backup", "volumeAttachment", "metadata", "meta",
    "events", "flavor", "keypair", "volume_type", "quota_set", "os-attach", "reboot",
)  # fmt: skip


@st.composite
def _json_body(draw: st.DrawFn) -> bytes:
    fields = draw(st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=5))
    shape = draw(st.integers(0, 3))
    if shape == 0:
        value: object = draw(_JSON)
    elif shape == 1:
        value = fields
    else:
        value = {draw(st.sampled_from(_MEMBERS)): fields}
    return json.dumps(value).encode()


def _bodies() -> st.SearchStrategy[bytes]:
    malformed = st.sampled_from(
        (b"{", b"{'server': 1}", b"null", b"[]", b"\xff\xfe\x00", b"{}" * 3, b'{"server":}',
         b'{"a": NaN}', b'"\\ud800"', b"1e999999", b"[" * 2000)
    )  # fmt: skip
    return st.one_of(
        st.just(b""),
        _json_body(),
        _json_body(),
        malformed,
        st.binary(max_size=64),
        st.sampled_from(BIG_BODY_SIZES).map(lambda size: b"{" + b" " * (size - 2) + b"}"),
    )


def _headers(known: Known) -> st.SearchStrategy[tuple[tuple[bytes, bytes], ...]]:
    version = st.sampled_from(
        ("2.1", "2.88", "2.96", "3.0", "3.71", "latest", "1.0", "2", "x", "", "2.100000")
    )
    pods = st.sampled_from(("pod.pod1.compute", "pod.pod2.volumev3", "control_plane", "x", ""))
    header = st.one_of(
        st.builds(lambda v: (b"x-openstack-nova-api-version", v.encode()), version),
        st.builds(lambda v: (b"openstack-api-version", b"compute " + v.encode()), version),
        st.builds(lambda v: (b"openstack-api-version", b"volume " + v.encode()), version),
        st.builds(lambda v: (b"x-podgate-pod", v.encode()), pods),
        st.builds(lambda v: (b"X-Podgate-Pod", v.encode()), pods),
        st.builds(lambda v: (b"x-podgate-missing-pods", v.encode()), pods),
        st.just((b"x-podgate-fuzz", b"must-not-reach-a-pod")),
        st.sampled_from(
            (
                (b"content-type", b"text/plain"),
                (b"content-type", b"application/json; charset=latin-1"),
                (b"content-type", b"multipart/form-data; boundary=x"),
                (b"content-type", b"\x01"),
                (b"x-auth-token", b"garbage"),
                (b"x-auth-token", b"A" * 4000),
                (b"x-request-id", b"../../etc"),
                (b"x-request-id", b"fuzz-request"),
                (b"accept", b"application/xml"),
                (b"x-forwarded-for", b"10.0.0.1"),
            )
        ),
    )
    return st.lists(header, max_size=4).map(tuple)


def gateway_requests(known: Known) -> st.SearchStrategy[RawRequest]:
    """One request to the compute or volume listener (strategies are built once: drawing is hot)."""
    targets, headers = _targets(known), _headers(known)
    with_body = (b"POST", b"PUT", b"PATCH", b"FOO")
    bodiless = [m for m in (*METHODS, *JUNK_METHODS) if m not in with_body]
    return st.one_of(
        st.builds(RawRequest, st.sampled_from(with_body), targets, headers, _bodies()),
        st.builds(RawRequest, st.sampled_from(bodiless), targets, headers),
    )
