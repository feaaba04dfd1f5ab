/** The JSON Schema of hephestus.yml, generated from the same zod definition the CLI validates with. */
import { z } from 'zod';
import { HephestusConfigSchema } from './config-schema.js';

/** The schema as a JSON-ready object (draft 2020-12), describing the file as people write it (defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(HephestusConfigSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'hephestus.yml',
    description: 'Configuration of Hephestus, the machine image pipeline.',
  };
}
