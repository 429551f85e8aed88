import { OpError, rotateDomainToken } from '@ddns/registry';
import { checkContent, normalizeName } from '@ddns/records';
import { v1Route, type RecordInputParsed } from '@ddns/v1-schema';
import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { deleteDomain, registerDomain } from '../../model/domains';
import {
  addRecord,
  deleteRecordById,
  ownDomainByName,
  owningDomain,
  ownRecord,
  updateRecord,
} from '../../model/records';
import { DEFAULT_TTL, ownerName } from '../../model/validate';
import { domainViews, recordView } from './format';
import { V1Error } from './http/errors';
import { mount } from './http/route';
import type { Principal } from './http/principal';

/** The field a content error belongs to, per type (so the form shows it next to the right input). */
const CONTENT_FIELD: Record<RecordInputParsed['type'], string> = {
  A: 'address',
  AAAA: 'address',
  TXT: 'text',
  CNAME: 'target',
  MX: 'target',
  SRV: 'target',
  CAA: 'value',
};

/** The zone-file content of a record's fields, checked and canonical, or a field error. */
export function recordContent(rec: RecordInputParsed): string {
  let raw: string;
  switch (rec.type) {
    case 'A':
    case 'AAAA':
      raw = rec.address;
      break;
    case 'TXT':
      raw = rec.text;
      break;
    case 'CNAME':
      raw = rec.target;
      break;
    case 'MX':
      raw = `${rec.priority} ${rec.target}`;
      break;
    case 'SRV':
      raw = `${rec.priority} ${rec.weight} ${rec.port} ${rec.target}`;
      break;
    case 'CAA':
      raw = `${rec.flags} ${rec.tag} "${rec.value}"`;
      break;
  }
  const c = checkContent(rec.type, raw);
  if (!c.ok) throw new V1Error('invalid', c.error, { [CONTENT_FIELD[rec.type]]: c.error });
  return c.content;
}

function ownerOf(domain: string, subname: string): string {
  const o = ownerName(domain, subname);
  if (!o.ok) throw new V1Error('invalid', o.error, { subname: o.error });
  return o.value;
}

/** The caller's domain `name` (someone else's, or none, reads as not found: names are not probed). */
async function ownDomain(deps: ApiDeps, principal: Principal, raw: string) {
  try {
    return await ownDomainByName(deps.db, principal.account.id, normalizeName(raw));
  } catch {
    throw new V1Error('not_found', `no domain ${normalizeName(raw)} in your account`);
  }
}

/** Domains and their records. API keys see only their domains (domainScoped routes, and the list). */
export function domainRoutes(deps: ApiDeps): Router {
  const r = Router();
  const visible = (p: Principal, names: { name: string }[]) =>
    p.via === 'api-key' && p.key.domains ? names.filter((d) => p.key.domains!.includes(d.name)) : names;

  mount(r, deps, v1Route('listDomains'), async ({ principal }) => ({
    domains: visible(principal, await domainViews(deps.db, principal.account.id)) as Awaited<
      ReturnType<typeof domainViews>
    >,
  }));

  mount(r, deps, v1Route('createDomain'), async ({ body, principal }) => {
    if (principal.via === 'api-key' && principal.key.domains)
      throw new V1Error('forbidden', 'this API key is limited to some domains: it cannot add others');
    try {
      const d = await registerDomain(deps.db, {
        accountId: principal.account.id,
        name: body.name,
        address: body.address ?? '',
      });
      const [view] = await domainViews(deps.db, principal.account.id, [d.name]);
      return { domain: view!, token: d.token };
    } catch (err) {
      if (err instanceof OpError || (err as { kind?: string }).kind)
        throw new V1Error(
          (err as { kind?: string }).kind === 'invalid' ? 'invalid' : 'conflict',
          (err as Error).message,
          { name: (err as Error).message },
        );
      throw err;
    }
  });

  mount(r, deps, v1Route('getDomain'), async ({ params, principal }) => {
    const { domain } = await ownDomain(deps, principal, params.name);
    const [view] = await domainViews(deps.db, principal.account.id, [domain.name]);
    return view!;
  });

  mount(r, deps, v1Route('deleteDomain'), async ({ params, principal }) => {
    const { domain } = await ownDomain(deps, principal, params.name);
    await deleteDomain(deps.db, principal.account.id, domain.name);
  });

  mount(r, deps, v1Route('rotateDomainToken'), async ({ params, principal }) => {
    const { domain } = await ownDomain(deps, principal, params.name);
    return { token: await rotateDomainToken(deps.db, principal.account.id, domain.name) };
  });

  mount(r, deps, v1Route('listRecords'), async ({ params, principal }) => {
    const { domain } = await ownDomain(deps, principal, params.name);
    const rows = await deps.db
      .selectFrom('records')
      .selectAll()
      .where('domain_id', '=', domain.id)
      .where('type', '<>', 'NS')
      .orderBy('name')
      .orderBy('type')
      .orderBy('id')
      .execute();
    return { records: rows.map((x) => recordView(x, domain.name)) };
  });

  mount(r, deps, v1Route('createRecord'), async ({ params, body, principal }) => {
    const { domain } = await ownDomain(deps, principal, params.name);
    const name = ownerOf(domain.name, body.subname);
    const content = recordContent(body);
    const owned = await owningDomain(deps.db, principal.account.id, name);
    if (owned.domain.id !== domain.id)
      throw new V1Error('invalid', `${name} belongs to your domain ${owned.domain.name}: add it there`, {
        subname: `inside ${owned.domain.name}`,
      });
    const row = await addRecord(deps.db, owned, {
      name,
      type: body.type,
      content,
      ttl: body.ttl ?? DEFAULT_TTL,
    });
    return recordView(row, domain.name);
  });

  mount(r, deps, v1Route('replaceRecord'), async ({ params, body, principal }) => {
    const { domain } = await ownDomain(deps, principal, params.name);
    const rec = await ownRecord(deps.db, principal.account.id, params.id).catch(() => undefined);
    if (!rec || rec.domain_id !== domain.id)
      throw new V1Error('not_found', `no record ${params.id} in ${domain.name}`);
    if (rec.type !== body.type)
      throw new V1Error('invalid', 'the type of a record cannot change: delete it and add another', {
        type: 'cannot change',
      });
    if (ownerOf(domain.name, body.subname) !== rec.name)
      throw new V1Error('invalid', 'the name of a record cannot change: delete it and add another', {
        subname: 'cannot change',
      });
    const row = await updateRecord(deps.db, principal.account.id, rec.id, {
      content: recordContent(body),
      ttl: body.ttl,
    });
    return recordView(row, domain.name);
  });

  mount(r, deps, v1Route('deleteRecord'), async ({ params, principal }) => {
    const { domain } = await ownDomain(deps, principal, params.name);
    const rec = await ownRecord(deps.db, principal.account.id, params.id).catch(() => undefined);
    if (!rec || rec.domain_id !== domain.id)
      throw new V1Error('not_found', `no record ${params.id} in ${domain.name}`);
    if (rec.type === 'NS') throw new V1Error('forbidden', 'NS records of a zone are managed by the server');
    await deleteRecordById(deps.db, principal.account.id, rec.id);
  });
  return r;
}
