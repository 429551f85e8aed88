import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEMPLATE_ENV = 'DDNS_TEST_TEMPLATE_DB';
export const STATE_FILE = join(tmpdir(), `ddns-jest-${process.ppid}-${process.pid}.json`);
