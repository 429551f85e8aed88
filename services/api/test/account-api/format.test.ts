import { envelope, formatRecord, formatTime, parseCall } from '../../src/surfaces/account-api/format';
import { parseChallenge } from '../../src/surfaces/acme/format';
import {
  parseRecordChange,
  parseRecordId,
  parseTypeFilter,
  tokenFromHeader,
} from '../../src/surfaces/records-api/format';
import { checkRecordInput, ownerName, parseTtl } from '../../src/model/validate';

describe('account API format (pure)', () => {
  test('parseCall finds the one call in query or body', () => {
    expect(parseCall({ get_domains: '' }, undefined)).toEqual({ ok: true, action: 'get_domains', value: '' });
    expect(parseCall({}, { add_domain: ' x.dyn.test ' })).toEqual({
      ok: true,
      action: 'add_domain',
      value: 'x.dyn.test',
    });
    expect(parseCall({ del_record: ['12', '13'] }, {})).toEqual({
      ok: true,
      action: 'del_record',
      value: '12',
    });
    expect(parseCall({ get_logs: '' }, { get_domains: '' })).toMatchObject({ ok: false });
    expect(parseCall({ nope: '' }, null)).toMatchObject({ ok: false });
    expect(parseCall({ add_domain: { nested: 'x' } }, {})).toMatchObject({ ok: false });
  });

  test('envelope', () => {
    expect(envelope('add_record', 201, 'x.dyn.test', { record_id: 5 })).toEqual({
      record_id: 5,
      info: 'success',
      status: '201 Created',
      add_record: 'x.dyn.test',
    });
    expect(envelope('api', 429, 'slow down')).toEqual({
      info: 'error',
      status: '429 Too Many Requests',
      api: 'slow down',
    });
  });

  test('formatTime and praefix', () => {
    expect(formatTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02 03:04:05');
    expect(formatTime(null)).toBe('');
    const rec = {
      id: 1,
      zone_id: 1,
      domain_id: 1,
      name: '_acme-challenge.x.dyn.test',
      type: 'TXT' as const,
      content: 'v',
      ttl: 60,
      ipv6_host_part: null,
      created_at: new Date(0),
      updated_at: new Date(0),
    };
    expect(formatRecord(rec, 'x.dyn.test')).toMatchObject({ praefix: '_acme-challenge', record_id: 1 });
    expect(formatRecord({ ...rec, name: 'x.dyn.test' }, 'x.dyn.test')).toMatchObject({ praefix: '' });
  });
});

describe('record input validation (pure)', () => {
  test('ownerName', () => {
    expect(ownerName('x.dyn.test', '')).toEqual({ ok: true, value: 'x.dyn.test' });
    expect(ownerName('x.dyn.test', '@')).toEqual({ ok: true, value: 'x.dyn.test' });
    expect(ownerName('x.dyn.test', 'WWW.')).toEqual({ ok: true, value: 'www.x.dyn.test' });
    expect(ownerName('x.dyn.test', '_sip._tcp')).toEqual({ ok: true, value: '_sip._tcp.x.dyn.test' });
    expect(ownerName('x.dyn.test', 'a.*')).toMatchObject({ ok: false });
    expect(ownerName('x.dyn.test', 'a b')).toMatchObject({ ok: false });
  });
  test('parseTtl', () => {
    expect(parseTtl(undefined)).toEqual({ ok: true, value: 60 });
    expect(parseTtl('604800')).toEqual({ ok: true, value: 604800 });
    expect(parseTtl('1.5')).toMatchObject({ ok: false });
    expect(parseTtl('-1')).toMatchObject({ ok: false });
  });
  test('checkRecordInput canonicalises', () => {
    expect(checkRecordInput('mx', ' 010   Mail.Example.NET. ')).toEqual({
      ok: true,
      value: { type: 'MX', content: '10 mail.example.net', ttl: 60 },
    });
    expect(checkRecordInput('CAA', '0 issue "letsencrypt.org"')).toMatchObject({ ok: true });
    expect(checkRecordInput('SOA', 'x')).toMatchObject({ ok: false });
    expect(checkRecordInput('TXT', undefined)).toMatchObject({ ok: false });
  });
});

describe('records API format (pure)', () => {
  test('parseTypeFilter', () => {
    expect(parseTypeFilter(undefined)).toEqual({ ok: true, types: null });
    expect(parseTypeFilter('a, aaaa,A')).toEqual({ ok: true, types: ['A', 'AAAA'] });
    expect(parseTypeFilter(',')).toEqual({ ok: true, types: null });
    expect(parseTypeFilter(['A', 'AAAA'])).toMatchObject({ ok: false });
    expect(parseTypeFilter('A,PTR')).toMatchObject({ ok: false });
  });
  test('parseRecordId', () => {
    expect(parseRecordId('402')).toBe(402);
    for (const bad of ['0', '-1', '1e3', 'abc', '', undefined, '1234567890'])
      expect(parseRecordId(bad)).toBeNull();
  });
  test('parseRecordChange', () => {
    expect(parseRecordChange({ content: '1.2.3.4' })).toEqual({
      ok: true,
      content: '1.2.3.4',
      ttl: undefined,
    });
    expect(parseRecordChange({ content: 'x', ttl: 300 })).toEqual({ ok: true, content: 'x', ttl: '300' });
    expect(parseRecordChange({ content: 'x', ttl: null })).toEqual({
      ok: true,
      content: 'x',
      ttl: undefined,
    });
    expect(parseRecordChange(undefined)).toMatchObject({ ok: false, field: 'content' });
    expect(parseRecordChange({ content: 'x', ttl: { a: 1 } })).toMatchObject({ ok: false, field: 'ttl' });
  });
  test('tokenFromHeader', () => {
    expect(tokenFromHeader('abc')).toBe('abc');
    expect(tokenFromHeader('Token abc')).toBe('abc');
    expect(tokenFromHeader('Bearer abc')).toBe('abc');
    expect(tokenFromHeader('Basic YTpi')).toBeUndefined();
    expect(tokenFromHeader(undefined)).toBeUndefined();
  });
});

describe('acme format (pure)', () => {
  test('parseChallenge', () => {
    expect(parseChallenge({ fqdn: '_ACME-Challenge.X.dyn.test.', value: 'abc' })).toEqual({
      ok: true,
      challenge: { name: '_acme-challenge.x.dyn.test', value: 'abc' },
    });
    expect(parseChallenge({ domain: '*.x.dyn.test', token: 't', keyAuth: 'k' })).toMatchObject({
      ok: true,
      challenge: { name: '_acme-challenge.x.dyn.test' },
    });
    expect(parseChallenge([])).toMatchObject({ ok: false });
    expect(parseChallenge({ fqdn: 'x.dyn.test', value: 'abc' })).toMatchObject({ ok: false });
    expect(parseChallenge({ fqdn: '_acme-challenge.x.dyn.test', value: 'a'.repeat(256) })).toMatchObject({
      ok: false,
    });
  });
});
