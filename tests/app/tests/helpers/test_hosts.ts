/**
 * Host names every process of a test run resolves to these addresses, with
 * no DNS server or /etc/hosts: bin/test.ts hands them to config/exo.ts's
 * `delivery.lookup` as EXO_TEST_HOSTS, which the workers inherit. They point
 * at the addresses the SSRF guard refuses, the way a hostile DNS answer would.
 */
export const TEST_HOSTS: Record<string, string> = {
  'loopback.exo-ssrf.test': '127.0.0.1',
  'private.exo-ssrf.test': '10.1.2.3',
  'metadata.exo-ssrf.test': '169.254.169.254',
  'cgnat.exo-ssrf.test': '100.64.0.5',
  'unspecified.exo-ssrf.test': '0.0.0.0',
  'v6-loopback.exo-ssrf.test': '::1',
  'v6-unique-local.exo-ssrf.test': 'fd12:3456::1',
  'v4-mapped.exo-ssrf.test': '::ffff:127.0.0.1',
}
