import type { Db } from '@ddns/db';
import { findZone, isHostname, normalizeName } from '@ddns/records';
import { hashToken, newUuidToken } from '@ddns/secrets';
import { findAccountId } from './accounts';
import { OpError } from './errors';
import type { NameServer } from './name-servers';
import { addZone } from './zones';

export interface CreatedDomain {
  id: number;
  name: string;
  /** the domain token, shown once */
  token: string;
}

/**
 * Registers NAME for an account: under the longest shared zone that contains it, or, when no zone contains
 * it, as a new hosted zone of the account (the domain is then the zone apex).
 */
export async function addDomain(
  db: Db,
  input: {
    name: string;
    /** the owner, by e-mail (the CLI) ... */
    accountEmail?: string;
    /** ... or by id (the account API) */
    accountId?: number;
    /** name servers of a new hosted zone (default: addZone's `ns1.<zone>`) */
    ns?: NameServer[];
  },
): Promise<CreatedDomain> {
  const name = normalizeName(input.name);
  if (!isHostname(name)) throw new OpError(`"${input.name}" is not a valid domain name`);
  const accountId = input.accountId ?? (await findAccountId(db, input.accountEmail ?? ''));
  const taken = await db.selectFrom('domains').select('id').where('name', '=', name).executeTakeFirst();
  if (taken) throw new OpError(`domain ${name} already exists`);
  const zones = await db.selectFrom('zones').select(['id', 'name', 'kind']).execute();
  let zone = findZone(name, zones);
  if (zone && zone.kind === 'hosted') throw new OpError(`${name} is inside the hosted zone ${zone.name}`);
  if (zone && zone.name === name) throw new OpError(`${name} is a shared zone itself`);
  if (!zone) zone = await addZone(db, { name, kind: 'hosted', accountId, ns: input.ns });
  const token = newUuidToken();
  const row = await db
    .insertInto('domains')
    .values({
      zone_id: zone.id,
      name,
      account_id: accountId,
      token_hash: hashToken(token),
      description: name,
    })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
  return { id: row.id, name: row.name, token };
}
