"""moto's server as the platform tests run it, with one EC2 behaviour it lacks and they rely on.

EC2 frees a terminated instance's private IP for the next instance: a replacement comes back at the
address it had. moto frees it only when Python collects the instance, which it never does while it
still lists the instance as terminated; until then it refuses the address ("IP already in use").
"""

from moto.ec2.models.instances import Instance
from moto.server import main

_terminate = Instance.terminate


def _terminate_and_free_addresses(self):
    state = _terminate(self)
    subnet = self.ec2_backend.get_subnet(self.subnet_id)
    for address in self._private_ips:
        # Only while it is still this instance's: a later instance may hold it by now.
        if subnet._subnet_ips.get(address) is self:
            subnet.del_subnet_ip(address)
    return state


Instance.terminate = _terminate_and_free_addresses

if __name__ == "__main__":
    main()
