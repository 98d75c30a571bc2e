import dns, { type LookupAddress, type LookupAllOptions } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

/**
 * How host names become addresses: `dns.lookup` with `all: true`, or a
 * resolver of the app's own with its signature (`delivery.lookup`).
 */
export type HostLookup = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void
) => void

/** Global unicast IPv6: what is outside it (IPv4-compatible `::a.b.c.d`, ULA…) is never public */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3')

/**
 * Why an address may not receive webhooks, or null when it may: only public
 * unicast addresses are allowed. IPv4-mapped IPv6 addresses are judged as the
 * IPv4 address they carry.
 */
export function refusalReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = ipaddr.parse(address)
  } catch {
    return `${address} is not an IP address`
  }
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress()) {
    parsed = parsed.toIPv4Address()
  }
  const range = parsed.range()
  if (range !== 'unicast') return `${address} is in the ${range} range`
  if (parsed instanceof ipaddr.IPv6 && !parsed.match(GLOBAL_UNICAST_V6)) {
    return `${address} is not a global unicast IPv6 address`
  }
  return null
}

export class RefusedDestination extends Error {
  code = 'E_EXO_REFUSED_DESTINATION'
}

function hostOf(url: URL) {
  return url.hostname.replace(/^\[|\]$/g, '')
}

/**
 * Every address `lookup` gives for `hostname`; a resolver answering none
 * fails as `dns.lookup` does.
 */
function resolveAll(
  lookup: HostLookup,
  hostname: string,
  options: LookupAllOptions = { all: true }
) {
  return new Promise<LookupAddress[]>((resolve, reject) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return reject(error)
      if (!addresses?.length) {
        return reject(
          Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
        )
      }
      resolve(addresses)
    })
  })
}

/**
 * Why one of the addresses may not receive webhooks, or null when none is refused.
 */
function refusalOfAny(addresses: LookupAddress[]) {
  return addresses.map(({ address }) => refusalReason(address)).find(Boolean) ?? null
}

/**
 * The lookup of an HTTP agent's connections (`net.connect`'s), resolving
 * through `lookup`. Guarded, it refuses private, loopback, link-local,
 * metadata and other non-public answers; the socket connects to the address
 * checked here, so a second resolution (DNS rebinding) cannot swap it.
 */
export function connectionLookup(lookup: HostLookup, guarded: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(lookup, hostname, options as LookupAllOptions).then(
      (addresses) => {
        const refused = guarded ? refusalOfAny(addresses) : null
        if (refused) {
          const error = new RefusedDestination(`Refused destination: ${hostname}: ${refused}`)
          return callback(error, '', 0)
        }
        if (options.all) return (callback as any)(null, addresses)
        callback(null, addresses[0].address, addresses[0].family)
      },
      (error) => callback(error, '', 0)
    )
  }
}

/**
 * Checks where a URL points before a request: IP literals directly (Node does
 * not look them up), host names through the addresses `lookup` resolves.
 */
export async function checkDestination(url: URL, lookup: HostLookup = dns.lookup): Promise<void> {
  const host = hostOf(url)
  if (isIP(host)) {
    const refused = refusalReason(host)
    if (refused) throw new RefusedDestination(`Refused destination: ${refused}`)
    return
  }
  const refused = refusalOfAny(await resolveAll(lookup, host))
  if (refused) throw new RefusedDestination(`Refused destination: ${host}: ${refused}`)
}
