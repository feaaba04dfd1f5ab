/**
 * One line of `packer -machine-readable` output: `timestamp,target,type,data...`.
 * Packer escapes every data field on its own (a comma becomes `%!(PACKER_COMMA)`, a newline the two characters
 * `\n`, a carriage return `\r`) and joins the fields with commas, so a plain split on commas gives the fields.
 * Packer does not escape backslashes, so a literal `\n` printed by a provisioner reads back as a newline, as it
 * does for Packer's own tools.
 */

export interface PackerLine {
  /** Unix seconds, as Packer printed them. */
  timestamp: number;
  /** The build (`amazon-ebs.win2022` in HCL2, the builder's name or type in JSON); empty for run-wide lines. */
  target: string;
  /** `ui`, `artifact`, `artifact-count`, `error`, `error-count`, ... */
  type: string;
  /** Data fields, unescaped. */
  data: string[];
}

const COMMA = '%!(PACKER_COMMA)';

/** Parses one line (without its line break; a trailing `\r` is ignored); undefined when the line is not Packer's. */
export function parseMachineReadableLine(line: string): PackerLine | undefined {
  const end = line.endsWith('\r') ? line.length - 1 : line.length;
  let i = 0;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  // Plugin and panic output share the stream; only `digits,` starts a Packer line.
  if (i === 0 || i >= end || line.charCodeAt(i) !== 44) return undefined;
  const timestamp = Number(line.slice(0, i));
  const targetEnd = line.indexOf(',', i + 1);
  if (targetEnd < 0 || targetEnd >= end) return undefined;
  const target = line.slice(i + 1, targetEnd);
  let typeEnd = line.indexOf(',', targetEnd + 1);
  if (typeEnd < 0 || typeEnd > end) typeEnd = end;
  const type = line.slice(targetEnd + 1, typeEnd);
  if (type === '') return undefined;
  const data =
    typeEnd < end
      ? line
          .slice(typeEnd + 1, end)
          .split(',')
          .map(unescapeField)
      : [];
  return { timestamp, target, type, data };
}

/** Undoes Packer's escaping of one data field. */
export function unescapeField(field: string): string {
  // Most fields hold neither; skipping the replaces keeps the hot path cheap.
  let out = field;
  if (out.includes('%!(')) out = out.replaceAll(COMMA, ',');
  if (out.includes('\\')) out = out.replaceAll('\\n', '\n').replaceAll('\\r', '\r');
  return out;
}

/** Escapes one data field as Packer does. */
export function escapeField(field: string): string {
  return field.replaceAll(',', COMMA).replaceAll('\n', '\\n').replaceAll('\r', '\\r');
}

/** Formats a line as Packer prints it (without the line break). */
export function formatMachineReadableLine(line: PackerLine): string {
  const head = `${line.timestamp},${line.target},${line.type}`;
  return line.data.length === 0 ? head : `${head},${line.data.map(escapeField).join(',')}`;
}
