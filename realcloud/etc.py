"""Write every config file of one `up` under run/etc (the I/O side of configs.py)."""

import os
from pathlib import Path

from realcloud import configs
from realcloud.layout import PODS, Layout
from realcloud.services import wrapper_name

WSGI_MODULES = (
    "keystone.wsgi.api",
    "glance.wsgi.api",
    "placement.wsgi.api",
    "nova.wsgi.osapi_compute",
    "neutron.wsgi.api",
)


def write_all(layout: Layout) -> dict[str, str]:
    """Write the configs; returns path → text of those that shape the template databases."""
    shaping: dict[str, str] = {}

    def put(path: Path, text: str, *, shapes: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if shapes:
            shaping[str(path.relative_to(layout.run))] = text

    for module in WSGI_MODULES:
        put(
            layout.etc / "wsgi" / f"{wrapper_name(module)}.py",
            configs.WSGI_WRAPPER.format(module=module),
        )
    put(layout.etc / "keystone" / "keystone.conf", configs.keystone_conf(keystone_data(layout)))
    put(layout.etc / "glance" / "glance-api.conf", configs.glance_conf(layout), shapes=True)
    for pod in PODS:
        etc = layout.etc / pod.key
        put(etc / "nova" / "nova.conf", configs.nova_conf(layout, pod), shapes=True)
        # nova.wsgi reads api-paste.ini from OS_NOVA_CONFIG_DIR, beside nova.conf.
        put(
            etc / "nova" / "api-paste.ini",
            (layout.venv("nova") / "etc/nova/api-paste.ini").read_text(),
        )
        put(etc / "placement" / "placement.conf", configs.placement_conf(layout, pod), shapes=True)
        put(etc / "cinder" / "cinder.conf", configs.cinder_conf(layout, pod), shapes=True)
        put(etc / "neutron" / "neutron.conf", configs.neutron_conf(layout, pod), shapes=True)
        put(
            etc / "neutron" / "plugins" / "ml2" / "ml2_conf.ini",
            configs.render_ini(configs.ml2_sections()),
        )
    rabbit = layout.etc / "rabbit"
    definitions = rabbit / "definitions.json"
    put(definitions, configs.rabbit_definitions(os.urandom(4)))
    put(rabbit / "rabbitmq.conf", configs.rabbit_conf(layout, str(definitions)))
    put(rabbit / "rabbitmq-env.conf", "")
    put(rabbit / "enabled_plugins", "[].\n")
    return shaping


def keystone_data(layout: Layout) -> str:
    return str(layout.data / "keystone")
