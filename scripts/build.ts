/**
 * Bundles the CLI into dist/: the entry dist/hephestus.mjs plus chunks, with every dependency inside, so the orb
 * installs one tarball with no dependency resolution. Code splitting keeps the entry small: each subcommand's
 * module (and the AWS SDK, Octokit or Slack client it needs) is a chunk loaded by its dynamic import, so
 * `hephestus --help` parses commander and the command table only. A single-file bundle was measured at over 2x
 * the start-up of `node -e 0` for `--help` (Node 20 has no compile cache to hide the parse).
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type OutputFile, type Plugin } from 'esbuild';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const SHEBANG = '#!/usr/bin/env node\n';
// Some CommonJS dependencies call require() on Node builtins; esbuild routes those calls through its runtime
// helper, which needs a `require` in scope. Only files that mention one get it (see withRequireShim).
const REQUIRE_SHIM =
  "import { createRequire as __hephestusCreateRequire } from 'node:module';\n" +
  'const require = __hephestusCreateRequire(import.meta.url);\n';

/**
 * commander requires node:child_process at load, only to spawn executable subcommands, which hephestus does not
 * have; loading it (with net and dgram) cost about a millisecond of every start. This gives commander a stand-in
 * that requires the real module on first use.
 */
const lazyChildProcessForCommander: Plugin = {
  name: 'lazy-child-process-for-commander',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}commander${path.sep}`)
        ? { path: 'child_process', namespace: 'lazy-child-process' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

/** The text of one output file: the shebang on the entry, the require shim where the code uses `require`. */
function withRequireShim(file: OutputFile): string {
  const code = file.text;
  const shim = /\brequire\b/.test(code) ? REQUIRE_SHIM : '';
  return path.basename(file.path) === 'hephestus.mjs' ? SHEBANG + shim + code : shim + code;
}

await rm('dist/chunks', { recursive: true, force: true });
const result = await build({
  entryPoints: { hephestus: 'src/cli.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  // The oldest major package.json's engines allow; the bundle is tested under 22 and 24 by .ci/run.
  target: 'node22',
  format: 'esm',
  // Prefer ESM builds: some packages' "main" is a UMD file whose dynamic require() a bundle cannot follow (jsonc-parser).
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  define: { HEPHESTUS_VERSION: JSON.stringify(pkg.version) },
  plugins: [lazyChildProcessForCommander],
  write: false,
  logLevel: 'warning',
});
for (const file of result.outputFiles) {
  await mkdir(path.dirname(file.path), { recursive: true });
  await writeFile(file.path, withRequireShim(file));
}

// The sandbox seeds its repositories from these folders; the bundle finds them beside itself.
await rm('dist/seeds', { recursive: true, force: true });
await cp('src/sandbox/seeds', 'dist/seeds', { recursive: true });

const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
const entry = result.metafile.outputs['dist/hephestus.mjs']?.bytes ?? 0;
process.stderr.write(
  `built dist/hephestus.mjs (${(entry / 1024).toFixed(0)} KiB entry, ${(bytes / 1024 / 1024).toFixed(2)} MiB with chunks)\n`,
);
