import { z } from 'zod';
import { fields, type FieldName } from './fields';

type Picked<K extends FieldName> = z.ZodObject<{ [P in K]: (typeof fields)[P] }>;

/** A zod object of the named variables. */
export function pick<K extends FieldName>(...names: K[]): Picked<K> {
  const shape = {} as { [P in K]: (typeof fields)[P] };
  for (const n of names) shape[n] = fields[n];
  return z.object(shape) as Picked<K>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Parses env; throws ConfigError with one line per wrong or missing variable. Empty strings count as unset. */
export function parseConfig<T extends z.ZodTypeAny>(
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<T> {
  const cleaned: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) cleaned[k] = v === '' ? undefined : v;
  const r = schema.safeParse(cleaned);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const name = String(i.path[0] ?? '?');
    const got = env[name];
    const msg =
      got === undefined || got === '' ? (i.code === 'invalid_type' ? 'is required' : i.message) : i.message;
    const show = got !== undefined && got !== '' && !/SECRET|KEY|PASSWORD|_URL/.test(name);
    return `config: ${name} ${msg}${show ? ` (got "${got}")` : ''}`;
  });
  throw new ConfigError(problems);
}

/** For a service's entry point: parse, or print one line per problem to stderr and exit 1. */
export function loadConfigOrExit<T extends z.ZodTypeAny>(
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<T> {
  try {
    return parseConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(p + '\n');
      process.exit(1);
    }
    throw err;
  }
}
