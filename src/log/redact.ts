/**
 * Removes secrets from text: each exact value, its URL-encoded form, and its base64 forms.
 * A secret inside a larger base64 string (basic auth `x-access-token:TOKEN`, for example) does not encode to
 * base64(secret), so the three alignments of the secret inside a base64 stream are matched as well.
 */

const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[REDACTED]';

export class Redactor {
  private needles: string[] = [];

  constructor(secrets: Iterable<string | undefined> = []) {
    this.add(...secrets);
  }

  /** Adds secrets; values shorter than four characters are ignored (they would redact ordinary words). */
  add(...secrets: Array<string | undefined>): void {
    const set = new Set(this.needles);
    for (const secret of secrets) {
      if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
      for (const form of secretForms(secret)) set.add(form);
    }
    // Longest first, so that a form containing another is replaced whole.
    this.needles = [...set].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.needles.length;
  }

  redact(text: string): string {
    let result = text;
    for (const needle of this.needles) {
      if (result.includes(needle)) result = result.split(needle).join(REDACTED);
    }
    return result;
  }

  /** True when any form of any secret occurs in `text`. */
  leaks(text: string): boolean {
    return this.needles.some((needle) => text.includes(needle));
  }
}

/** The forms a secret can take in output: raw, URL-encoded, and base64 at each of the three byte alignments. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret)]);
  const bytes = Buffer.from(secret, 'utf8');
  forms.add(bytes.toString('base64'));
  forms.add(bytes.toString('base64url'));
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Base64 character i carries bits [6i, 6i+6); keep only the characters made of the secret's bits alone.
    const first = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * (shift + bytes.length)) / 6);
    const core = encoded.slice(first, end);
    if (core.length >= 8) forms.add(core);
  }
  return [...forms];
}
