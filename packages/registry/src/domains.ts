import type { Db } from '@ddns/db';
import { isHostname, normalizeName } from '@ddns/records';
import { hashToken, newUuidToken } from '@ddns/secrets';
import { findAccountId } from './accounts';
import { OpError } from './errors';
import type { NameServer } from './name-servers';
import { checkCap, lockAccount } from './ownership-caps';
import {
  checkClaim,
  insertClaimedZone,
  ourNameServers,
  ownershipInfo,
  type OwnershipInfo,
} from './ownership-claim';

export interface CreatedDomain {
  id: number;
  name: string;
  /** the domain token, shown once */
  token: string;
  /** a user's own domain (hosted zone): it is served once control is proven, and this says how */
  ownership?: OwnershipInfo;
}

/**
 * Registers NAME for an account: under the longest shared zone that contains it, or, when no zone contains
 * it, as a new hosted zone of the account (the domain is then the zone apex), `pending` until the account
 * proves control (see ./ownership-claim). The ownership rules and the class's caps apply to every caller.
 */
export async function addDomain(
  db: Db,
  input: {
    name: string;
    /** the owner, by e-mail (the CLI) ... */
    accountEmail?: string;
    /** ... or by id (the account API) */
    accountId?: number;
    /** name servers of a new hosted zone (default: our name servers, else addZone's `ns1.<zone>`) */
    ns?: NameServer[];
  },
): Promise<CreatedDomain> {
  const name = normalizeName(input.name);
  if (!isHostname(name)) throw new OpError(`"${input.name}" is not a valid domain name`);
  const accountId = input.accountId ?? (await findAccountId(db, input.accountEmail ?? ''));
  return db.transaction().execute(async (trx) => {
    const account = await lockAccount(trx, accountId);
    const target = await checkClaim(trx, name, accountId);
    if (target.kind === 'shared') {
      const taken = await trx.selectFrom('domains').select('id').where('name', '=', name).executeTakeFirst();
      if (taken) throw new OpError(`domain ${name} already exists`);
    }
    await checkCap(trx, accountId, account.class, 'domains');
    let zoneId: number;
    let ownership: OwnershipInfo | undefined;
    if (target.kind === 'hosted') {
      await checkCap(trx, accountId, account.class, 'hostedZones');
      const ours = await ourNameServers(trx);
      const ns = input.ns ?? (ours.length ? ours.map((host) => ({ host })) : undefined);
      const zone = await insertClaimedZone(trx, { name, accountId, ns, replaces: target.replaces });
      zoneId = zone.id;
      ownership = ownershipInfo(zone, ours);
    } else {
      zoneId = target.zone.id;
    }
    const token = newUuidToken();
    const row = await trx
      .insertInto('domains')
      .values({
        zone_id: zoneId,
        name,
        account_id: accountId,
        token_hash: hashToken(token),
        description: name,
      })
      .returning(['id', 'name'])
      .executeTakeFirstOrThrow();
    return { id: row.id, name: row.name, token, ...(ownership ? { ownership } : {}) };
  });
}
