/**
 * The one logger of the CLI. Everything it prints goes through the {@link Redactor}, errors and stack traces
 * included. Human-readable lines go to standard error so that `--json` output on standard output stays one
 * clean document.
 */
import { inspect } from 'node:util';
import { Redactor } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  redactor?: Redactor;
  level?: LogLevel;
  /** Where log lines go; standard error by default. */
  stream?: NodeJS.WritableStream;
  /** Where results go (`result()`); standard output by default. */
  out?: NodeJS.WritableStream;
}

export class Logger {
  readonly redactor: Redactor;
  private readonly level: LogLevel;
  private readonly stream: NodeJS.WritableStream;
  private readonly out: NodeJS.WritableStream;

  constructor(options: LoggerOptions = {}) {
    this.redactor = options.redactor ?? new Redactor();
    this.level = options.level ?? 'info';
    this.stream = options.stream ?? process.stderr;
    this.out = options.out ?? process.stdout;
  }

  debug(message: string, ...details: unknown[]): void {
    this.log('debug', message, details);
  }
  info(message: string, ...details: unknown[]): void {
    this.log('info', message, details);
  }
  warn(message: string, ...details: unknown[]): void {
    this.log('warn', message, details);
  }
  error(message: string, ...details: unknown[]): void {
    this.log('error', message, details);
  }

  /** Writes a command's result to standard output: a JSON document, or text. Redacted like everything else. */
  result(value: unknown): void {
    const text = typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}`;
    this.out.write(`${this.redact(text)}\n`);
  }

  /** Writes raw text to the log stream (progress views), redacted. */
  write(text: string): void {
    this.stream.write(this.redact(text));
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** A redacted rendering of any value, errors with their cause chain and stack included. */
  render(value: unknown): string {
    const text = typeof value === 'string' ? value : inspect(value, { depth: 6, breakLength: 120 });
    return this.redact(text);
  }

  private log(level: LogLevel, message: string, details: unknown[]): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const prefix = level === 'info' ? '' : `${level}: `;
    const rest = details.map((d) => ` ${this.render(d)}`).join('');
    this.stream.write(`${prefix}${this.redact(message)}${rest}\n`);
  }
}
