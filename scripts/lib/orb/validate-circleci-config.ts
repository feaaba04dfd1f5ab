/**
 * Validates CircleCI configuration and packed orbs against the CircleCI YAML language server's JSON Schema
 * (draft-07, kept in ../shared/schemas). The schema checks shape only; parameter types and orb references are
 * checked by the review rules and the tests.
 */
import { Ajv, type ErrorObject } from 'ajv';
import * as ajvFormats from 'ajv-formats';

/** One schema violation: where (a JSON Pointer into the document) and what. */
export interface ConfigProblem {
  pointer: string;
  message: string;
}

export type ConfigValidator = (document: unknown) => ConfigProblem[];

/** Compiles the schema once; the returned function lists the problems of a document, none when it is valid. */
export function createConfigValidator(schema: object): ConfigValidator {
  // The schema carries editor keywords (markdownDescription) that strict mode rejects.
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS; its default export sits one level down under NodeNext.
  (ajvFormats.default as unknown as (ajv: Ajv) => Ajv)(ajv);
  const validate = ajv.compile(schema);
  return (document) => (validate(document) ? [] : deepestProblems(validate.errors ?? []));
}

/**
 * A oneOf failure reports every branch; the errors at the deepest pointer are the ones that name the mistake,
 * so only those are kept.
 */
function deepestProblems(errors: ErrorObject[]): ConfigProblem[] {
  const depth = (error: ErrorObject) => error.instancePath.split('/').length;
  const deepest = Math.max(...errors.map(depth));
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const error of errors.filter((e) => depth(e) === deepest)) {
    const message = `${error.message ?? 'invalid'}${error.params && 'allowedValues' in error.params ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : ''}`;
    const key = `${error.instancePath} ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ pointer: error.instancePath || '/', message });
  }
  return problems;
}
