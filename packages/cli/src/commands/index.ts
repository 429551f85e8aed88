import type { CommandGroup } from '../command';
import { account } from './account';
import { domain } from './domain';
import { init } from './init';
import { migrate } from './migrate';
import { tsig } from './tsig';
import { zone } from './zone';

/** Every command group, in the order `ddns --help` lists them. A new group is one module plus one line here. */
export const commandGroups: CommandGroup[] = [migrate, init, zone, account, domain, tsig];
