import { z } from 'zod';
import { Timestamp } from './common';

export const RecordTypeEnum = z.enum(['A', 'AAAA', 'TXT', 'CNAME', 'MX', 'SRV', 'CAA']);
export type RecordTypeName = z.infer<typeof RecordTypeEnum>;

const HostName = z
  .string()
  .trim()
  .min(1, 'the host name is missing')
  .max(253, 'at most 253 characters')
  .regex(/^[A-Za-z0-9_.*-]+\.?$/, 'not a host name');
const U16 = z.number({ invalid_type_error: 'a number' }).int('a whole number').min(0).max(65535);

/**
 * The name of a record relative to its domain: '' (or '@') for the domain itself, `www`, `_acme-challenge`,
 * `_sip._tcp`, `*`.
 */
export const Subname = z
  .string()
  .trim()
  .max(200, 'at most 200 characters')
  .regex(/^(@|[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*)?$/, 'letters, digits, -, _ and * in dot-separated labels');

export const Ttl = z.number({ invalid_type_error: 'a number' }).int('a whole number').min(60).max(604800);

const base = { subname: Subname.default(''), ttl: Ttl.optional() };

/**
 * A record's data as fields, one variant per type, so that an error can point at `priority` or `target`.
 * The server canonicalises (lowercase names, RFC 5952 IPv6, no trailing dot).
 */
export const RecordInput = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('A'),
    ...base,
    address: z.string().trim().ip({ version: 'v4', message: 'not an IPv4 address' }),
  }),
  z.object({
    type: z.literal('AAAA'),
    ...base,
    address: z.string().trim().ip({ version: 'v6', message: 'not an IPv6 address' }),
  }),
  z.object({
    type: z.literal('TXT'),
    ...base,
    text: z.string().min(1, 'the text is empty').max(4000, 'at most 4000 bytes'),
  }),
  z.object({ type: z.literal('CNAME'), ...base, target: HostName }),
  z.object({ type: z.literal('MX'), ...base, priority: U16, target: HostName }),
  z.object({ type: z.literal('SRV'), ...base, priority: U16, weight: U16, port: U16, target: HostName }),
  z.object({
    type: z.literal('CAA'),
    ...base,
    flags: z.number().int().min(0).max(255).default(0),
    tag: z.enum(['issue', 'issuewild', 'iodef']),
    value: z
      .string()
      .max(255, 'at most 255 characters')
      .regex(/^[^"\\]*$/, 'no quotes or backslashes'),
  }),
]);
export type RecordInput = z.input<typeof RecordInput>;
export type RecordInputParsed = z.infer<typeof RecordInput>;

/** A record as stored: its fields, plus the full name and the zone-file content. */
export const DnsRecord = z.object({
  id: z.number().int(),
  /** full owner name */
  name: z.string(),
  subname: z.string(),
  type: RecordTypeEnum,
  ttl: z.number().int(),
  /** presentation form, e.g. `10 mail.example.net` */
  content: z.string(),
  /** the same data as fields (the RecordInput variant of the type, without subname/ttl) */
  data: z.record(z.union([z.string(), z.number()])),
  updatedAt: Timestamp,
});
export type DnsRecord = z.infer<typeof DnsRecord>;

export const RecordList = z.object({ records: z.array(DnsRecord) });
export type RecordList = z.infer<typeof RecordList>;
