"""Neutron's fault bodies, `{"NeutronError": {"type", "message", "detail"}}`, and their errors.

The type is the exception class's name in Neutron (neutron_lib.exceptions, webob for
`HTTPBadRequest`), the message its text; the status follows neutron/api/v2/base.py FAULT_MAP:
NotFound 404, InUse/Conflict 409, BadRequest/InvalidInput 400.
"""

from podsim.faults import Fault


class NeutronFault(Fault):
    """One Neutron error: its status, its exception type name and its message."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind

    def body(self) -> dict[str, dict[str, object]]:
        """Neutron's fault document (the detail is always empty)."""
        return {"NeutronError": {"type": self.kind, "message": self.message, "detail": ""}}


def http_bad_request(message: str) -> NeutronFault:
    """webob's HTTPBadRequest, raised by Neutron's API layer on malformed requests."""
    return NeutronFault(400, "HTTPBadRequest", message)


def bad_request(resource: str, message: str) -> NeutronFault:
    """neutron_lib BadRequest: 'Bad <resource> request: <msg>.'"""
    return NeutronFault(400, "BadRequest", f"Bad {resource} request: {message}.")


def invalid_input(message: str) -> NeutronFault:
    """neutron_lib InvalidInput."""
    return NeutronFault(400, "InvalidInput", f"Invalid input for operation: {message}.")


def not_found(kind: str, message: str) -> NeutronFault:
    """A NotFound subclass (NetworkNotFound, PortNotFound...)."""
    return NeutronFault(404, kind, message)


def in_use(kind: str, message: str) -> NeutronFault:
    """An InUse subclass (NetworkInUse, SubnetInUse, PortInUse...): 409."""
    return NeutronFault(409, kind, message)


def network_in_use(net_id: str) -> NeutronFault:
    return in_use(
        "NetworkInUse",
        f"Unable to complete operation on network {net_id}. "
        "There are one or more ports still in use on the network.",
    )


def subnet_in_use(subnet_id: str) -> NeutronFault:
    return in_use(
        "SubnetInUse",
        f"Unable to complete operation on subnet {subnet_id}: "
        "One or more ports have an IP allocation from this subnet.",
    )


def ip_in_use(net_id: str, address: str) -> NeutronFault:
    return in_use(
        "IpAddressInUse",
        f"Unable to complete operation for network {net_id}. The IP address {address} is in use.",
    )


def port_in_use(port_id: str, net_id: str, device_id: str) -> NeutronFault:
    return in_use(
        "PortInUse",
        f"Unable to complete operation on port {port_id} for network {net_id}. "
        f"Port already has an attached device {device_id}.",
    )


def network_not_found(net_id: str) -> NeutronFault:
    return not_found("NetworkNotFound", f"Network {net_id} could not be found.")


def subnet_not_found(subnet_id: str) -> NeutronFault:
    return not_found("SubnetNotFound", f"Subnet {subnet_id} could not be found.")


def port_not_found(port_id: str) -> NeutronFault:
    return not_found("PortNotFound", f"Port {port_id} could not be found.")


def router_not_found(router_id: str) -> NeutronFault:
    return not_found("RouterNotFound", f"Router {router_id} could not be found")


def floatingip_not_found(fip_id: str) -> NeutronFault:
    return not_found("FloatingIPNotFound", f"Floating IP {fip_id} could not be found")
