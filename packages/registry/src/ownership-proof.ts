import { addressesOf, findParentView, lookupTxt, type WalkOptions } from './ownership-delegation';

/** The TXT record that proves control of a domain without delegating it: `_ddns-challenge.<domain>`. */
export const CHALLENGE_LABEL = '_ddns-challenge';
export const challengeName = (domain: string) => `${CHALLENGE_LABEL}.${domain}`;

export interface ProofInput {
  domain: string;
  /** the value the TXT record must hold (zones.challenge_token) */
  token: string;
  /** host names of our name servers (a delegation to any of them counts) */
  ourNameServers: readonly string[];
}

export interface ProofResult {
  proven: boolean;
  via?: 'delegation' | 'txt';
  /** false when a server could not be asked: not a reason to take a domain down */
  conclusive: boolean;
  /** one line for the owner: what the public DNS showed */
  detail: string;
}

/**
 * Does the public DNS show that whoever controls `domain` wants it served here? Either its parent delegates it
 * to one of our name servers, or the servers that answer for it publish the token at `_ddns-challenge.<domain>`.
 * Both are read from the parent's and the domain's own servers, never from our data.
 */
export async function proveControl(input: ProofInput, o: WalkOptions): Promise<ProofResult> {
  const ours = new Set(input.ourNameServers.map((n) => n.toLowerCase()));
  const view = await findParentView(input.domain, o);
  let txtServers;
  let seen: string;
  switch (view.kind) {
    case 'failed':
      return {
        proven: false,
        conclusive: false,
        detail: `the parent zone could not be asked: ${view.reason}`,
      };
    case 'missing':
      return {
        proven: false,
        conclusive: true,
        detail: `${view.parent || 'the parent zone'} says ${input.domain} does not exist`,
      };
    case 'delegated': {
      const toUs = view.nameServers.filter((n) => ours.has(n));
      if (toUs.length)
        return {
          proven: true,
          via: 'delegation',
          conclusive: true,
          detail: `delegated to ${toUs.join(', ')}`,
        };
      seen = `the parent delegates ${input.domain} to ${view.nameServers.join(', ')}, not to our name servers`;
      txtServers = await addressesOf(view.nameServers, view.glue, o);
      break;
    }
    case 'served':
      seen = `${input.domain} is not delegated to our name servers (it is served inside ${view.zone})`;
      txtServers = view.servers;
  }
  const txt = await lookupTxt(challengeName(input.domain), txtServers, o.ask);
  if (txt?.includes(input.token))
    return {
      proven: true,
      via: 'txt',
      conclusive: true,
      detail: `TXT ${challengeName(input.domain)} matches`,
    };
  const why =
    txt === null
      ? `${challengeName(input.domain)} TXT could not be read`
      : `no TXT at ${challengeName(input.domain)} holds the token`;
  return { proven: false, conclusive: txt !== null, detail: `${seen}; ${why}` };
}
