/**
 * CircleCI's configuration templating, for the orb runner: parameter declarations and values, `<< parameters.x >>`
 * and `<< pipeline.x >>` references, the mustache sections `<<# x >>...<</ x >>` and `<<^ x >>...<</ x >>`, the
 * `\<<` escape that packed includes carry, and logic statements (`and`, `or`, `not`, `equal`, `matches`).
 * Pure, so the resolution rules are tested without running anything.
 */

export type ParameterValue = string | number | boolean | unknown[] | Record<string, unknown>;

/** Pipeline values (`<< pipeline.git.branch >>`, `<< pipeline.parameters.images >>`, ...). */
export interface PipelineValues {
  id?: string;
  number?: number;
  trigger_source?: string;
  schedule?: { name?: string; id?: string };
  git?: { branch?: string; revision?: string; tag?: string; base_revision?: string };
  project?: { git_url?: string; type?: string; slug?: string };
  parameters?: Record<string, string | number | boolean>;
}

export interface TemplateScope {
  parameters: Record<string, ParameterValue>;
  pipeline: PipelineValues;
}

interface ParameterDeclaration {
  type?: string;
  default?: unknown;
  enum?: unknown[];
}

/** CircleCI's env_var_name type: a POSIX variable name. */
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /<<\s*((?:parameters|pipeline)\.[\w.-]+)\s*>>/g;
// A section or a reference, matched in one pass so that a rendered value is never scanned again.
const SECTION_OR_REFERENCE =
  /<<([#^])\s*((?:parameters|pipeline)\.[\w.-]+)\s*>>([\s\S]*?)<<\/\s*\2\s*>>|<<\s*((?:parameters|pipeline)\.[\w.-]+)\s*>>/g;
const WHOLE_REFERENCE = /^<<\s*((?:parameters|pipeline)\.[\w.-]+)\s*>>$/;

/** Checks given values against the declarations, fills defaults, and fails on unknown or missing ones. */
export function resolveParameters(
  declared: unknown,
  given: Record<string, unknown>,
  where: string,
): Record<string, ParameterValue> {
  const declarations = (isRecord(declared) ? declared : {}) as Record<string, ParameterDeclaration>;
  for (const name of Object.keys(given)) {
    if (!(name in declarations)) throw new Error(`${where}: unknown parameter "${name}"`);
  }
  const resolved: Record<string, ParameterValue> = {};
  for (const [name, declaration] of Object.entries(declarations)) {
    const value = name in given ? given[name] : declaration.default;
    if (value === undefined || value === null)
      throw new Error(`${where}: missing required parameter "${name}"`);
    resolved[name] = checkType(value, declaration, `${where}: parameter "${name}"`);
  }
  return resolved;
}

function checkType(value: unknown, declaration: ParameterDeclaration, where: string): ParameterValue {
  const type = declaration.type ?? 'string';
  const fail = (expected: string): never => {
    throw new Error(`${where} must be ${expected}, got ${JSON.stringify(value)}`);
  };
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : fail('a string');
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('a boolean');
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : fail('an integer');
    case 'enum':
      return typeof value === 'string' && (declaration.enum ?? []).includes(value)
        ? value
        : fail(`one of ${(declaration.enum ?? []).join(', ')}`);
    case 'env_var_name':
      return typeof value === 'string' && ENV_VAR_NAME.test(value)
        ? value
        : fail('an environment variable name');
    case 'steps':
      return Array.isArray(value) ? value : fail('a list of steps');
    case 'executor':
      return typeof value === 'string' || isRecord(value) ? (value as ParameterValue) : fail('an executor');
    default:
      throw new Error(`${where} has the unknown type "${type}"`);
  }
}

/**
 * Substitutes references in every string of `value`. A string that is exactly one reference takes the referenced
 * value itself (a boolean stays a boolean, a steps list a list); references inside longer strings are rendered.
 * Each string is processed once, so a parameter value that looks like a reference stays literal text.
 */
export function substitute(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') return substituteString(value, scope);
  if (Array.isArray(value)) return value.map((item) => substitute(item, scope));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = substitute(item, scope);
    return out;
  }
  return value;
}

function substituteString(text: string, scope: TemplateScope): unknown {
  const whole = WHOLE_REFERENCE.exec(text);
  if (whole) return lookup(whole[1] as string, scope);
  // `\<<` is a literal `<<` (packed includes escape theirs); no reference spans it.
  return text
    .split('\\<<')
    .map((segment) =>
      segment.replace(
        SECTION_OR_REFERENCE,
        (_match, kind?: string, section?: string, body?: string, name?: string) => {
          if (name !== undefined) return render(name, scope);
          const shown = truthy(lookup(section as string, scope)) === (kind === '#');
          return shown
            ? (body as string).replace(REFERENCE, (_m, inner: string) => render(inner, scope))
            : '';
        },
      ),
    )
    .join('<<');
}

function render(name: string, scope: TemplateScope): string {
  const value = lookup(name, scope);
  if (typeof value === 'object')
    throw new Error(`<< ${name} >> is not a scalar and cannot be part of a string`);
  return String(value);
}

function lookup(name: string, scope: TemplateScope): ParameterValue {
  const [root, ...path] = name.split('.');
  if (root === 'parameters') {
    const key = path.join('.');
    if (!(key in scope.parameters)) throw new Error(`<< ${name} >> refers to an undeclared parameter`);
    return scope.parameters[key] as ParameterValue;
  }
  let current: unknown = scope.pipeline;
  for (const key of path) {
    if (!isRecord(current) || !(key in current))
      throw new Error(`<< ${name} >> is not a known pipeline value`);
    current = current[key];
  }
  if (current === undefined || current === null)
    throw new Error(`<< ${name} >> is not a known pipeline value`);
  return current as ParameterValue;
}

/** CircleCI's truthiness for logic statements and sections: false, 0, "", null and NaN are false. */
export function truthy(value: unknown): boolean {
  if (value === false || value === null || value === undefined || value === '') return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  return true;
}

/** Evaluates a logic statement whose references are already substituted. */
export function evaluateLogic(statement: unknown): boolean {
  if (!isRecord(statement)) return truthy(statement);
  const [operator, argument] = Object.entries(statement)[0] ?? [];
  switch (operator) {
    case 'and':
      return (argument as unknown[]).every(evaluateLogic);
    case 'or':
      return (argument as unknown[]).some(evaluateLogic);
    case 'not':
      return !evaluateLogic(argument);
    case 'equal': {
      const [first, ...rest] = argument as unknown[];
      return rest.every((item) => JSON.stringify(item) === JSON.stringify(first));
    }
    case 'matches': {
      const { pattern, value } = argument as { pattern: string; value: string };
      return new RegExp(`^(?:${pattern})$`).test(String(value));
    }
    default:
      return truthy(statement);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
