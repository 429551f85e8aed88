import type { Db } from '@ddns/db';
import { accountClass, createAccount, createInviteToken, mailAccountToken, OpError } from '@ddns/registry';
import { EMAIL_LINK_PATHS, v1Route, type AdminAccount } from '@ddns/v1-schema';
import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { V1Error } from './http/errors';
import { mount } from './http/route';

async function adminAccounts(
  db: Db,
  where: { q?: string; id?: number },
  page = { limit: 50, offset: 0 },
): Promise<{ accounts: AdminAccount[]; total: number }> {
  const pattern = where.q ? `%${where.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  const base = db
    .selectFrom('accounts')
    .$if(pattern !== undefined, (q) => q.where((eb) => eb(eb.fn('lower', ['email']), 'like', pattern!)))
    .$if(where.id !== undefined, (q) => q.where('id', '=', where.id!));
  const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll('accounts')
    .select((eb) =>
      eb
        .selectFrom('domains')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('domains.account_id', '=', 'accounts.id')
        .as('domains'),
    )
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return {
    total: Number(total.n),
    accounts: rows.map((a) => ({
      id: a.id,
      email: a.email,
      class: accountClass(a.class),
      isAdmin: a.is_admin,
      disabled: a.disabled_at !== null,
      emailVerified: a.email_verified_at !== null,
      totpEnabled: a.totp_secret_enc !== null,
      domains: Number(a.domains ?? 0),
      createdAt: a.created_at.toISOString(),
    })),
  };
}

/** Admin pages' data: accounts (search, create, disable, class), invites, zones, operator links. */
export function adminRoutes(deps: ApiDeps): Router {
  const r = Router();
  const one = async (id: number) => {
    const a = (await adminAccounts(deps.db, { id })).accounts[0];
    if (!a) throw new V1Error('not_found', `no account ${id}`);
    return a;
  };

  mount(r, deps, v1Route('adminListAccounts'), async ({ query }) =>
    adminAccounts(deps.db, { q: query.q }, { limit: query.limit, offset: query.offset }),
  );

  mount(r, deps, v1Route('adminCreateAccount'), async ({ body }) => {
    try {
      const a = await createAccount(deps.db, {
        email: body.email,
        password: body.password,
        class: body.class,
        admin: body.isAdmin,
      });
      return one(a.id);
    } catch (err) {
      if (err instanceof OpError) throw new V1Error('conflict', err.message, { email: err.message });
      throw err;
    }
  });

  mount(r, deps, v1Route('adminUpdateAccount'), async ({ params, body, principal }) => {
    await one(params.id);
    if (params.id === principal.account.id && (body.disabled === true || body.isAdmin === false))
      throw new V1Error('forbidden', 'you cannot disable yourself or drop your own admin flag');
    const set: { disabled_at?: Date | null; class?: string; is_admin?: boolean } = {};
    if (body.disabled !== undefined) set.disabled_at = body.disabled ? new Date() : null;
    if (body.class !== undefined) set.class = body.class;
    if (body.isAdmin !== undefined) set.is_admin = body.isAdmin;
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('accounts').set(set).where('id', '=', params.id).execute();
      // a disabled account's sessions end at once
      if (body.disabled) await trx.deleteFrom('sessions').where('account_id', '=', params.id).execute();
    });
    return one(params.id);
  });

  mount(r, deps, v1Route('adminCreateInvite'), async ({ body, principal }) => {
    const ttlSeconds = body.expiresInHours * 3600;
    if (body.email) {
      const row = await mailAccountToken(deps.db, {
        purpose: 'invite',
        accountId: null,
        email: body.email,
        createdBy: principal.account.id,
        ttlSeconds,
      });
      return { id: row.id, link: null, token: null, expiresAt: row.expires_at.toISOString(), mailed: true };
    }
    const { row, secret } = await createInviteToken(deps.db, { createdBy: principal.account.id, ttlSeconds });
    const link = `${deps.config.PUBLIC_URL.replace(/\/+$/, '')}${EMAIL_LINK_PATHS.invite}?token=${encodeURIComponent(secret)}`;
    return { id: row.id, link, token: secret, expiresAt: row.expires_at.toISOString(), mailed: false };
  });

  mount(r, deps, v1Route('adminListZones'), async () => {
    const rows = await deps.db
      .selectFrom('zones')
      .leftJoin('accounts', 'accounts.id', 'zones.account_id')
      .select(['zones.id', 'zones.name', 'zones.kind', 'zones.status', 'zones.serial', 'accounts.email'])
      .select((eb) =>
        eb
          .selectFrom('domains')
          .select(eb.fn.countAll<string>().as('n'))
          .whereRef('domains.zone_id', '=', 'zones.id')
          .as('domains'),
      )
      .orderBy('zones.name')
      .execute();
    return {
      zones: rows.map((z) => ({
        id: z.id,
        name: z.name,
        kind: z.kind,
        status: z.status,
        owner: z.email,
        domains: Number(z.domains ?? 0),
        serial: String(z.serial),
      })),
    };
  });

  mount(r, deps, v1Route('adminLinks'), async () => ({ queueDashboard: '/admin/queues' }));
  return r;
}
