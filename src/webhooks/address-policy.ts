import ipaddr from 'ipaddr.js';
import { ErrorCodes, SluiceError } from '../core/errors.js';

/**
 * Which hosts a webhook may reach (the SSRF guard's rule). Only public unicast addresses pass:
 * loopback, private (RFC 1918, IPv6 unique-local), link-local (which holds the cloud metadata
 * address 169.254.169.254), carrier-grade NAT, multicast, broadcast, unspecified and every reserved
 * or transition range are refused; an IPv4-mapped IPv6 address is judged as the IPv4 it carries.
 * The operator's allowlist (SLUICE_WEBHOOK_ALLOW: host names or CIDRs) lets named ones through,
 * e.g. 127.0.0.1 for tests or a receiver inside the cluster.
 */
export class AddressPolicy {
  private readonly hosts: ReadonlySet<string>;
  private readonly ranges: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

  constructor(allow: { hosts?: Iterable<string>; ranges?: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]> } = {}) {
    this.hosts = new Set([...(allow.hosts ?? [])].map((host) => host.toLowerCase()));
    this.ranges = allow.ranges ?? [];
  }

  /** Reads SLUICE_WEBHOOK_ALLOW: comma- or space-separated host names, IP addresses and CIDRs. */
  static fromAllowList(text: string | undefined, field = 'SLUICE_WEBHOOK_ALLOW'): AddressPolicy {
    const hosts: string[] = [];
    const ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
    for (const entry of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
      if (entry.includes('/')) {
        if (!ipaddr.isValidCIDR(entry)) throw new SluiceError(ErrorCodes.config, `${field}: "${entry}" is not a CIDR`, { field });
        ranges.push(normalisedCidr(ipaddr.parseCIDR(entry)));
      } else if (ipaddr.isValid(entry)) {
        const address = ipaddr.process(entry);
        ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else {
        hosts.push(entry);
      }
    }
    return new AddressPolicy({ hosts, ranges });
  }

  /** True when the operator named this host (case-insensitive): any address it resolves to passes. */
  allowsHost(hostname: string): boolean {
    return this.hosts.has(hostname.toLowerCase());
  }

  /** Why `address` may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined {
    if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
    const ip = ipaddr.process(address);
    if (this.ranges.some(([base, bits]) => base.kind() === ip.kind() && ip.match(base, bits))) return undefined;
    const range = ip.range();
    return range === 'unicast' ? undefined : `${ip.toString()} is a ${range} address`;
  }
}

/** A CIDR of IPv4-mapped IPv6 addresses (::ffff:10.0.0.0/104) as the IPv4 range it covers. */
function normalisedCidr([address, bits]: [ipaddr.IPv4 | ipaddr.IPv6, number]): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}
