/**
 * The one codec for state Hephestus hides in what it writes on GitHub (PR bodies and comments): an HTML
 * comment `<!-- hephestus:<kind> <json> -->` per block. Each kind is defined once, with the zod schema its
 * payload must pass; a block that does not parse counts as absent. Encoding escapes `<`, `>` and `--` inside
 * the JSON (as `\u003c`, `\u003e`, `-\u002d`), so no value can end the comment early or open another block.
 *
 * The codec says what a block holds, not who wrote it: readers take blocks only from bodies the bot wrote
 * (see bot-identity.ts and {@link PullRequests.ownComment}).
 */
import type { z } from 'zod';

export interface HiddenBlock<S extends z.ZodType> {
  kind: string;
  /** The block for `value`, checked against the schema first (a bad value is a bug, so it throws). */
  encode(value: z.input<S>): string;
  /** Every well-formed block of this kind in `text`, in order. */
  decodeAll(text: string): Array<z.output<S>>;
  /** The first well-formed block of this kind in `text`, if any. */
  decode(text: string): z.output<S> | undefined;
  /** `text` with each block of this kind passed through `replace` (return `''` to drop it). */
  replaceAll(text: string, replace: (value: z.output<S> | undefined, whole: string) => string): string;
}

/** Defines the hidden block of `kind` (lower-case letters and dashes) carrying values of `schema`. */
export function hiddenBlock<S extends z.ZodType>(kind: string, schema: S): HiddenBlock<S> {
  if (!/^[a-z][a-z-]*$/.test(kind)) throw new Error(`bad hidden block kind ${kind}`);
  const pattern = () => new RegExp(`<!-- hephestus:${kind} (\\{.*?\\}) -->`, 'gs');
  const parse = (json: string): z.output<S> | undefined => {
    try {
      const parsed = schema.safeParse(JSON.parse(json));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    kind,
    encode(value) {
      schema.parse(value);
      return `<!-- hephestus:${kind} ${escapeJson(JSON.stringify(value))} -->`;
    },
    decodeAll(text) {
      return [...text.matchAll(pattern())].flatMap((match) => {
        const value = parse(match[1] ?? '');
        return value === undefined ? [] : [value];
      });
    },
    decode(text) {
      return this.decodeAll(text)[0];
    },
    replaceAll(text, replace) {
      return text.replace(pattern(), (whole: string, json: string) => replace(parse(json), whole));
    },
  };
}

/** JSON with nothing that could end an HTML comment or start a tag; `JSON.parse` reads it back unchanged. */
export function escapeJson(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/--/g, '-\\u002d');
}
