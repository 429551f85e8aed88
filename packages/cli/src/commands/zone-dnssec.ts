import { parseConfig, pick } from '@ddns/config';
import {
  advanceRollover,
  dnsAsker,
  listZoneKeys,
  parseDnssecAlgorithm,
  parseServerAddress,
  parentDsLookup,
  setZoneDnssec,
  startRollover,
  type RolloverStep,
  type ServerAddress,
  type ZoneKeys,
} from '@ddns/registry';
import { printer, UsageError, type CommandContext } from '../command';

/**
 * `ddns zone dnssec|keys|rollover`: a zone's DNSSEC signing, keys and key rollover (rules in @ddns/registry
 * dnssec-*). Text output is what an operator pastes at the parent: DNSKEY and DS lines.
 */
export const zoneDnssecUsage = [
  'zone dnssec NAME on|off [--algorithm 13|15]   (signing; on by default, 13 = ECDSA P-256, 15 = Ed25519)',
  'zone keys NAME                         (DNSKEY and the DS line to publish at the parent)',
  'zone rollover NAME [--now]             (starts a key rollover, or takes its next step when due; --now: at once)',
];

export interface ZoneDnssecOptions {
  json: boolean;
  algorithm?: string;
  now: boolean;
}

function keysText(k: ZoneKeys): string {
  const head = `${k.zone}: signing ${k.dnssec ? 'on' : 'off'}`;
  if (!k.keys.length) return `${head}, no keys${k.dnssec ? ' yet (the DNSSEC sweep makes one)' : ''}`;
  return [
    head,
    ...k.keys.flatMap((x) => [
      `key ${x.keyTag} (algorithm ${x.algorithm}) ${x.state}` +
        (x.retireAfter
          ? `, ${x.state === 'published' ? 'activated after' : 'deleted after'} ${x.retireAfter}`
          : ''),
      `  ${x.dnskey}`,
      `  ${x.ds}`,
    ]),
  ].join('\n');
}

function stepText(s: RolloverStep): string {
  return [
    `${s.zone}: ${s.action}: ${s.detail}` + (s.nextStepAt ? ` (next step due ${s.nextStepAt})` : ''),
    keysText(s.keys),
  ].join('\n');
}

const timing = (ctx: CommandContext) => ({
  propagationDelaySeconds: parseConfig(pick('DNSSEC_PROPAGATION_DELAY_SECONDS'), ctx.env)
    .DNSSEC_PROPAGATION_DELAY_SECONDS,
});
const secretsKey = (ctx: CommandContext) => parseConfig(pick('SECRETS_KEY'), ctx.env).SECRETS_KEY;

export async function runZoneDnssec(
  sub: 'dnssec' | 'keys' | 'rollover',
  args: string[],
  o: ZoneDnssecOptions,
  ctx: CommandContext,
): Promise<void> {
  const print = printer(ctx.io, o.json);
  const [name, onOff] = args;
  if (!name) throw new UsageError('a zone name is required');
  if (sub === 'dnssec') {
    if ((onOff !== 'on' && onOff !== 'off') || args.length !== 2) throw new UsageError('say on or off');
    if (o.algorithm !== undefined && onOff === 'off') throw new UsageError('--algorithm goes with on');
    const k = await setZoneDnssec(ctx.db(), {
      zone: name,
      on: onOff === 'on',
      algorithm: o.algorithm === undefined ? undefined : parseDnssecAlgorithm(o.algorithm),
      secretsKey: onOff === 'on' ? secretsKey(ctx) : undefined,
    });
    print(k, keysText(k));
    return;
  }
  if (args.length !== 1) throw new UsageError(`unexpected argument "${args[1]}"`);
  if (sub === 'keys') {
    const k = await listZoneKeys(ctx.db(), name);
    print(k, keysText(k));
    return;
  }
  const current = await listZoneKeys(ctx.db(), name);
  let step: RolloverStep;
  if (current.keys.every((k) => k.state === 'active')) {
    step = await startRollover(ctx.db(), {
      zone: name,
      secretsKey: secretsKey(ctx),
      timing: timing(ctx),
      algorithm: o.algorithm === undefined ? undefined : parseDnssecAlgorithm(o.algorithm),
    });
  } else {
    const config = parseConfig(pick('DELEGATION_CHECK_SERVERS'), ctx.env);
    const servers = o.now ? [] : config.DELEGATION_CHECK_SERVERS;
    step = await advanceRollover(ctx.db(), {
      zone: name,
      force: o.now,
      timing: timing(ctx),
      parentDs: parentDsLookup({
        start: servers.map(parseServerAddress).filter((s): s is ServerAddress => s !== null),
        ask: dnsAsker(),
      }),
    });
  }
  print(step, stepText(step));
}
