/** Writes docs/hephestus.schema.json from the zod schema, for editor completion of hephestus.yml. */
import { writeFile } from 'node:fs/promises';
import { configJsonSchema } from '../src/config/config-json-schema.js';

const target = new URL('../docs/hephestus.schema.json', import.meta.url);
await writeFile(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stderr.write(`wrote ${target.pathname}\n`);
