import dns from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

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
 * A DNS lookup for HTTP agents that refuses private, loopback, link-local,
 * metadata and other non-public answers. The socket connects to the address
 * checked here, so a second resolution (DNS rebinding) cannot swap it.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0)
    const refused = addresses.map(({ address }) => refusalReason(address)).find(Boolean)
    if (refused) {
      return callback(new RefusedDestination(`Refused destination: ${hostname}: ${refused}`), '', 0)
    }
    if (options.all) return (callback as any)(null, addresses)
    callback(null, addresses[0].address, addresses[0].family)
  })
}

/**
 * Checks where a URL points before a request: IP literals directly (Node does
 * not look them up), host names through their resolved addresses.
 */
export async function checkDestination(url: URL): Promise<void> {
  const host = hostOf(url)
  if (isIP(host)) {
    const refused = refusalReason(host)
    if (refused) throw new RefusedDestination(`Refused destination: ${refused}`)
    return
  }
  const addresses = await dns.promises.lookup(host, { all: true })
  const refused = addresses.map(({ address }) => refusalReason(address)).find(Boolean)
  if (refused) throw new RefusedDestination(`Refused destination: ${host}: ${refused}`)
}
