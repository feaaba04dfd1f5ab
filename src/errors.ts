/**
 * Who is at fault decides the exit code: bad input or configuration exits 2,
 * a real failure found by the job (a build error, a validation failure, a service that kept failing) exits 1.
 */

export const ExitCode = { ok: 0, failure: 1, badInput: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where in a file or configuration a problem is. Every field is optional; the message uses what is known. */
export interface Location {
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** A setting name, a path inside a document, or a command-line option. */
  setting?: string;
}

export abstract class HephestusError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly location: Location;

  constructor(message: string, location: Location = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.location = location;
  }

  /** The message prefixed with `file:line:column` and the setting, as compilers print it. */
  describe(): string {
    return `${formatLocation(this.location)}${this.message}`;
  }
}

/** Bad input or configuration: the user must change something. Exit 2. */
export class InputError extends HephestusError {
  readonly exitCode = ExitCode.badInput;
}

/** The job found a real failure (a build failed, an image did not validate). Exit 1. */
export class FailureError extends HephestusError {
  readonly exitCode = ExitCode.failure;
}

/** An outside service kept failing after retries (5xx, 429, timeouts). Exit 1. */
export class ExternalServiceError extends HephestusError {
  readonly exitCode = ExitCode.failure;
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(`${service}: ${message}`, {}, options);
    this.status = options?.status;
  }
  readonly status: number | undefined;
}

export function formatLocation(location: Location): string {
  const parts: string[] = [];
  if (location.file !== undefined) {
    let where = location.file;
    if (location.line !== undefined) {
      where += `:${location.line}`;
      if (location.column !== undefined) where += `:${location.column}`;
    }
    parts.push(where);
  }
  if (location.setting !== undefined) parts.push(location.setting);
  return parts.length > 0 ? `${parts.join(': ')}: ` : '';
}

/** 1-based line and column of a character offset, counting `\n` as the line break (so CRLF counts once). */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
