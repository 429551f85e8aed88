import { parse } from 'tldts';

/**
 * Public suffixes (the Public Suffix List through `tldts`, updated with the dependency): nobody may claim a
 * suffix as their own domain, because every name under it belongs to someone else (`co.uk`, `in-addr.arpa`),
 * and neither a provider's shared suffix from the list's private section (`github.io`, `blogspot.com`).
 * Names below a suffix (`example.co.uk`, `me.github.io`) are ordinary outside domains. A single label, or a
 * top-level domain the list does not know (`test`), counts as a suffix too (the list's default rule).
 *
 * Returns why `name` cannot be claimed, or null.
 */
export function publicSuffixProblem(name: string): string | null {
  const p = parse(name, { allowPrivateDomains: true, extractHostname: false });
  if (p.isIp) return `${name} is an IP address, not a domain name`;
  if (p.domain) return null;
  const which = p.isPrivate
    ? 'a public suffix shared by the customers of its provider (Public Suffix List, private section)'
    : 'a public suffix (Public Suffix List): the names under it belong to their own registrants';
  return `${name} is ${which}`;
}
