import { createGzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { DomainExport } from './service';

/** The file name of a domain's export archive. */
export function exportFileName(domain: string, now: Date = new Date()): string {
  return `${domain}-${now.toISOString().slice(0, 10)}.tar.gz`;
}

function readme(e: DomainExport, now: Date): string {
  return [
    `Export of the mail domain ${e.domain.name}`,
    `Made ${now.toISOString()} by ddns.`,
    '',
    'Files (all JSON, UTF-8):',
    '  domain.json        the mail domain and its zone (SOA values)',
    '  records.json       every DNS record of the zone: name, type, content (presentation form), ttl',
    '  mailboxes.json     mailboxes with their password hashes ({ARGON2ID}..., Dovecot-verifiable)',
    '  dkim.json          DKIM public keys (selector, base64 SubjectPublicKeyInfo, TXT value)',
    '  certificates.json  certificates (PEM) and chains for host names in the domain',
    '',
    'Private keys (DKIM, certificates) are not exported: they stay encrypted on the server.',
    '',
  ].join('\n');
}

/** A `.tar.gz` stream with the export's JSON files and a README. */
export function exportArchive(e: DomainExport, now: Date = new Date()): Readable {
  const p = pack();
  const dir = e.domain.name;
  const files: [string, string][] = [
    ['README.txt', readme(e, now)],
    ['domain.json', JSON.stringify({ domain: e.domain, zone: e.zone }, null, 2) + '\n'],
    ['records.json', JSON.stringify(e.records, null, 2) + '\n'],
    ['mailboxes.json', JSON.stringify(e.mailboxes, null, 2) + '\n'],
    ['dkim.json', JSON.stringify(e.dkim, null, 2) + '\n'],
    ['certificates.json', JSON.stringify(e.certificates, null, 2) + '\n'],
  ];
  for (const [name, body] of files) p.entry({ name: `${dir}/${name}`, mtime: now, mode: 0o644 }, body);
  p.finalize();
  return p.pipe(createGzip());
}
