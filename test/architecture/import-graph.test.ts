/**
 * The architecture of src/, checked on its import graph (issue 16): the product never imports the stand-in
 * world (src/sandbox/) except where the CLI registers its commands, the sandbox imports nothing from the
 * product, nothing in src/ reaches into scripts/ or test/, the product never asks whether it talks to a
 * loopback host, and product modules import no cycle. biome.json enforces the sandbox boundary in the editor;
 * this test also sees what a glob cannot: where a specifier resolves to, and cycles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The one product file allowed to import the sandbox, and the one module it may import there. */
const COMPOSITION_ROOT = { from: 'src/cli.ts', to: 'src/sandbox/commands.ts' };

/**
 * The sandbox shares nothing with the product, with one exception: its command modules (`commands.ts`,
 * `*-command.ts`: `sandbox up` and `demo`, which the composition root registers) use the CLI's plumbing, the
 * command runner and the errors that become exit codes. No other sandbox module imports the product.
 */
const SANDBOX_COMMAND_MODULE = /^src\/sandbox\/(?:.*\/)?(?:commands|[\w-]+-command)\.ts$/;
const SANDBOX_COMMANDS_MAY_IMPORT: readonly string[] = ['src/cli/run-command.ts', 'src/errors.ts'];

/** One import of a module: its specifier and, for a relative one, the repository path it resolves to. */
interface ImportEdge {
  from: string;
  /** Undefined for a dynamic import whose module is not a literal string. */
  specifier: string | undefined;
  to?: string;
}

interface SourceModule {
  path: string;
  source: ts.SourceFile;
  imports: ImportEdge[];
}

const isSandbox = (file: string) => file.startsWith('src/sandbox/');
const isProduct = (file: string) => file.startsWith('src/') && !isSandbox(file);

function typeScriptFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return typeScriptFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Every module specifier in the file: static imports and re-exports, `import()` calls and `import('x').T` types. */
function specifiersOf(source: ts.SourceFile): Array<string | undefined> {
  const found: Array<string | undefined> = [];
  const literal = (node: ts.Node | undefined) =>
    node && ts.isStringLiteralLike(node) ? node.text : undefined;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      found.push(literal(node.moduleSpecifier));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      found.push(literal(node.arguments[0]));
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      found.push(literal(node.argument.literal));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The repository path a relative specifier names (`./x.js` is the source `./x.ts`). */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.posix.join(path.posix.dirname(from), specifier).replace(/\.js$/, '.ts');
}

function readModule(file: string): SourceModule {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(ROOT, file), 'utf8'),
    ts.ScriptTarget.Latest,
  );
  const imports = specifiersOf(source).map((specifier) => ({
    from: file,
    specifier,
    to: specifier === undefined ? undefined : resolveSpecifier(file, specifier),
  }));
  return { path: file, source, imports };
}

/** Identifiers and string texts that name a loopback host or a check for one (comments are not in the AST). */
function loopbackMentions(module: SourceModule): string[] {
  // `localhost` as a host, not as the domain of a mail address (`hephestus@localhost`, a git identity).
  const loopbackHost = /(?<![@\w.-])localhost\b|\b127\.0\.0\.1\b|^127\.$|^\[?::1\]?$/i;
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    // A name like isLoopback asks; a string may only name a host (help text may say "loopback").
    const text = ts.isIdentifier(node) || ts.isStringLiteralLike(node) ? node.text : undefined;
    const asked = text !== undefined && (ts.isIdentifier(node) ? /loopback/i : loopbackHost).test(text);
    if (asked) {
      const { line } = module.source.getLineAndCharacterOfPosition(node.getStart(module.source));
      found.push(`${module.path}:${line + 1} ${text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(module.source);
  return found;
}

/** Strongly connected components of more than one module (Tarjan), each sorted: the import cycles. */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        lowLink.set(node, Math.min(lowLink.get(node) as number, lowLink.get(next) as number));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) as number, index.get(next) as number));
      }
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return cycles;
}

const modules = typeScriptFiles('src').map(readModule);
const edges = modules.flatMap((module) => module.imports);
const describeEdge = (edge: ImportEdge) => `${edge.from} -> ${edge.to ?? edge.specifier}`;

describe('the import graph of src/', () => {
  it('reads every module and every import names its module literally', () => {
    expect(modules.length).toBeGreaterThan(100);
    expect(modules.filter((module) => isSandbox(module.path)).length).toBeGreaterThan(10);
    expect(edges.filter((edge) => edge.specifier === undefined).map(describeEdge)).toEqual([]);
  });

  it('(a) no product module imports the sandbox, except the composition root its commands', () => {
    const crossings = edges.filter(
      (edge) =>
        isProduct(edge.from) &&
        edge.to !== undefined &&
        isSandbox(edge.to) &&
        !(edge.from === COMPOSITION_ROOT.from && edge.to === COMPOSITION_ROOT.to),
    );
    expect(crossings.map(describeEdge)).toEqual([]);
  });

  it('(b) the sandbox imports nothing from the product but its commands the CLI plumbing', () => {
    const crossings = edges.filter(
      (edge) =>
        isSandbox(edge.from) &&
        edge.to !== undefined &&
        isProduct(edge.to) &&
        !(SANDBOX_COMMAND_MODULE.test(edge.from) && SANDBOX_COMMANDS_MAY_IMPORT.includes(edge.to)),
    );
    expect(crossings.map(describeEdge)).toEqual([]);
  });

  // The whole of src/ (the sandbox too) is bundled into dist/, which ships without scripts/ and test/.
  it('(c) nothing in src/ imports scripts/ or test/', () => {
    const outside = edges.filter((edge) => edge.to !== undefined && !edge.to.startsWith('src/'));
    expect(outside.map(describeEdge)).toEqual([]);
  });

  // What the sandbox needs (pacing, endpoints) is an explicit setting `sandbox up` makes, never a guess from a URL.
  it('(d) no product module asks whether it talks to a loopback host', () => {
    const mentions = modules.filter((module) => isProduct(module.path)).flatMap(loopbackMentions);
    expect(mentions).toEqual([]);
  });

  it('(e) product modules import no cycle', () => {
    const graph = new Map(
      modules
        .filter((module) => isProduct(module.path))
        .map((module) => [
          module.path,
          module.imports.flatMap((edge) => (edge.to !== undefined && isProduct(edge.to) ? [edge.to] : [])),
        ]),
    );
    expect(importCycles(graph).map((cycle) => cycle.join(' <-> '))).toEqual([]);
  });
});
