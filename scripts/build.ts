/**
 * Bundles the CLI into dist/: the entry dist/hephestus.mjs plus chunks, with every dependency inside, so the orb
 * installs one tarball with no dependency resolution. Code splitting keeps the entry small: each subcommand's
 * module (and the AWS SDK, Octokit or Slack client it needs) is a chunk loaded by its dynamic import, so
 * `hephestus --help` parses commander and the command table only. A single-file bundle was measured at over 2x
 * the start-up of `node -e 0` for `--help` (Node 20 has no compile cache to hide the parse).
 */
import { cp, readFile, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

await rm('dist/chunks', { recursive: true, force: true });
const result = await build({
  entryPoints: { hephestus: 'src/cli.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Prefer ESM builds: some packages' "main" is a UMD file whose dynamic require() a bundle cannot follow (jsonc-parser).
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  define: { HEPHESTUS_VERSION: JSON.stringify(pkg.version) },
  // Some CommonJS dependencies call require() on Node builtins; give the ESM bundle a require to do so.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __hephestusCreateRequire } from 'node:module';\nconst require = __hephestusCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The sandbox seeds its repositories from these folders; the bundle finds them beside itself.
await rm('dist/seeds', { recursive: true, force: true });
await cp('src/sandbox/seeds', 'dist/seeds', { recursive: true });

const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
const entry = result.metafile.outputs['dist/hephestus.mjs']?.bytes ?? 0;
process.stderr.write(
  `built dist/hephestus.mjs (${(entry / 1024).toFixed(0)} KiB entry, ${(bytes / 1024 / 1024).toFixed(2)} MiB with chunks)\n`,
);
