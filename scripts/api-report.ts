/**
 * The public API report: one `api/<entry>.api.md` per entry point of package.json
 * `exports`, written by API Extractor from the published types (`dist/**\/*.d.ts`), so a
 * change of the public API shows up as a diff of a committed file and gets reviewed.
 *
 * Usage (after `npm run build`; `npm run api:update` does both):
 *   tsx scripts/api-report.ts            rewrite api/ from dist/
 *   tsx scripts/api-report.ts --check    compare dist/ with api/, print the diffs, exit 1 on any
 *
 * test/api-report.test.ts runs the check in `npm test`. See docs/api-report.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompilerState,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  ExtractorMessageCategory,
  type ExtractorMessage,
  type IConfigFile,
} from '@microsoft/api-extractor';

/** The command that rewrites the committed reports. */
export const UPDATE_COMMAND = 'npm run api:update';

/** One entry point of the package, as package.json `exports` declares it. */
export interface EntryPoint {
  /** The `exports` key: `.`, `./chaos`, … */
  readonly subpath: string;
  /** What a consumer imports: `breakwater`, `breakwater/chaos`, … */
  readonly specifier: string;
  /** The ESM types file of the entry, relative to the package folder. */
  readonly types: string;
  /** The report's file name: `breakwater.api.md`, `breakwater-chaos.api.md`, … */
  readonly reportFile: string;
}

interface PackageJson {
  readonly name: string;
  readonly exports: Record<string, string | { readonly import?: { readonly types?: string } }>;
}

function readPackage(packageDir: string): PackageJson {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackageJson;
}

/** Every entry point with types, in `exports` order (`./package.json` and other plain files are skipped). */
export function entryPoints(packageDir: string): EntryPoint[] {
  const pkg = readPackage(packageDir);
  const out: EntryPoint[] = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    const types = target.import?.types;
    if (types === undefined) throw new Error(`package.json exports["${subpath}"] has no import.types`);
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    out.push({ subpath, specifier, types, reportFile: `${specifier.replace(/\//g, '-')}.api.md` });
  }
  return out;
}

/** What one entry point's extraction found that is neither in the report nor deliberately silenced. */
export interface ReportProblem {
  readonly entry: string;
  readonly text: string;
}

function extractorConfig(packageDir: string, entry: EntryPoint, reportFolder: string): ExtractorConfig {
  const configObject: IConfigFile = {
    projectFolder: packageDir,
    mainEntryPointFilePath: resolve(packageDir, entry.types),
    // The published .d.ts files are analysed on their own, with the settings a strict consumer has.
    compiler: {
      overrideTsconfig: {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'ESNext',
          moduleResolution: 'Bundler',
          types: [],
          strict: true,
          skipLibCheck: true,
        },
        files: [resolve(packageDir, entry.types)],
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: entry.reportFile.replace(/\.api\.md$/, ''),
      reportFolder,
      reportTempFolder: join(reportFolder, '.temp'),
      // A type the API uses but does not export is still API: its declaration is in the report.
      includeForgottenExports: true,
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    newlineKind: 'lf',
    messages: {
      // TSDoc syntax and links are TypeDoc's job (`npm run docs`, warnings are errors there).
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Error },
        // Reachable but not exported by this entry (often exported by another one, e.g. `Clock` by
        // `breakwater`): the report has its declaration without `export` (includeForgottenExports).
        'ae-forgotten-export': { logLevel: ExtractorLogLevel.None },
        // breakwater marks no release tags (@public/@beta/@alpha): everything exported is public.
        'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
        'ae-internal-missing-underscore': { logLevel: ExtractorLogLevel.None },
        // Documentation completeness and links are checked by TypeDoc's validation.
        'ae-undocumented': { logLevel: ExtractorLogLevel.None },
        'ae-unresolved-link': { logLevel: ExtractorLogLevel.None },
        'ae-unresolved-inheritdoc-reference': { logLevel: ExtractorLogLevel.None },
        'ae-unresolved-inheritdoc-base': { logLevel: ExtractorLogLevel.None },
        'ae-setter-with-docs': { logLevel: ExtractorLogLevel.None },
        // The bundled .d.ts keeps each source module's @packageDocumentation comment where it was.
        'ae-misplaced-package-tag': { logLevel: ExtractorLogLevel.None },
      },
    },
  };
  return ExtractorConfig.prepare({ configObject, configObjectFullPath: undefined, packageJsonFullPath: join(packageDir, 'package.json') });
}

/**
 * Writes one report per entry point of the package in `packageDir` (built: its `dist/` exists)
 * into `outDir`, and returns the file names written and the problems API Extractor reported.
 */
export function generateApiReports(packageDir: string, outDir: string): { files: string[]; problems: ReportProblem[] } {
  const entries = entryPoints(packageDir);
  for (const e of entries) {
    if (!existsSync(resolve(packageDir, e.types))) throw new Error(`${e.types} is missing: run \`npm run build\` first`);
  }
  const work = mkdtempSync(join(tmpdir(), 'api-report-'));
  const problems: ReportProblem[] = [];
  try {
    const configs = entries.map((e) => extractorConfig(packageDir, e, work));
    // One TypeScript program for all the entry points (they share chunks): ~6x faster than one each.
    const compilerState = CompilerState.create(configs[0]!, { additionalEntryPoints: entries.map((e) => resolve(packageDir, e.types)) });
    entries.forEach((entry, i) => {
      const result = Extractor.invoke(configs[i]!, {
        localBuild: true,
        compilerState,
        messageCallback: (message: ExtractorMessage) => {
          message.handled = true;
          // Console messages ("report created", "analysis will use TypeScript 6.0") are progress, not problems.
          if (message.category === ExtractorMessageCategory.Console) return;
          if (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning) {
            problems.push({ entry: entry.specifier, text: message.formatMessageWithLocation(packageDir) });
          }
        },
      });
      if (!result.succeeded && problems.every((p) => p.entry !== entry.specifier)) {
        problems.push({ entry: entry.specifier, text: `API Extractor failed (${result.errorCount} errors)` });
      }
    });
    mkdirSync(outDir, { recursive: true });
    const files: string[] = [];
    for (const entry of entries) {
      const produced = join(work, entry.reportFile);
      if (!existsSync(produced)) continue;
      writeFileSync(join(outDir, entry.reportFile), normalizeReport(readFileSync(produced, 'utf8'), entry));
      files.push(entry.reportFile);
    }
    return { files, problems };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Names the entry point in the heading (API Extractor names only the package) and says how to update. */
function normalizeReport(text: string, entry: EntryPoint): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[0]?.startsWith('## API Report File for ')) lines[0] = `## API Report File for "${entry.specifier}"`;
  const note = lines.findIndex((l) => l.startsWith('> Do not edit this file.'));
  if (note >= 0) lines.splice(note + 1, 0, '>', `> Entry point \`${entry.specifier}\` (${entry.types}). Update with \`${UPDATE_COMMAND}\`; see docs/api-report.md.`);
  return lines.join('\n');
}

/** The outcome of comparing freshly generated reports with the committed ones. */
export interface ApiReportCheck {
  /** True when every committed report equals the generated one and nothing is missing or extra. */
  readonly ok: boolean;
  /** One human-readable line or diff per difference, ending with the command to update. */
  readonly messages: string[];
}

function unifiedDiff(expected: string, actual: string, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'api-report-diff-'));
  try {
    const a = join(dir, 'committed');
    const b = join(dir, 'generated');
    writeFileSync(a, expected);
    writeFileSync(b, actual);
    try {
      execFileSync('git', ['diff', '--no-index', '--no-color', '--unified=3', 'committed', 'generated'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return '';
    } catch (e) {
      const out = (e as { stdout?: string }).stdout;
      if (typeof out === 'string' && out !== '') return out.replace(/a\/committed|b\/generated/g, (m) => (m.startsWith('a') ? `a/${label}` : `b/${label}`));
      return `${label}: differs (git is not available to show the diff)`;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/**
 * Generates the reports of the package in `packageDir` into a temporary folder and compares
 * them with those committed in `reportDir`: a changed, missing or extra report is a failure.
 */
export function checkApiReports(packageDir: string, reportDir: string): ApiReportCheck {
  const tmp = mkdtempSync(join(tmpdir(), 'api-report-check-'));
  try {
    const { files, problems } = generateApiReports(packageDir, tmp);
    const messages: string[] = problems.map((p) => `${p.entry}: ${p.text}`);
    const label = (f: string): string => shown(join(reportDir, f));
    for (const f of files) {
      const committed = join(reportDir, f);
      const generated = readFileSync(join(tmp, f), 'utf8');
      if (!existsSync(committed)) {
        messages.push(`${label(f)} is missing: a new entry point needs its API report committed.`);
        continue;
      }
      // A checkout that turned line ends into CRLF has not changed the API.
      const expected = readFileSync(committed, 'utf8').replace(/\r\n/g, '\n');
      if (expected !== generated) messages.push(`The public API changed:\n${unifiedDiff(expected, generated, label(f))}`);
    }
    const existing = existsSync(reportDir) ? readdirSync(reportDir).filter((f) => f.endsWith('.api.md')) : [];
    for (const f of existing) {
      if (!files.includes(f)) messages.push(`${label(f)} belongs to no entry point of package.json exports: delete it.`);
    }
    if (messages.length > 0) {
      messages.push(`If the change is intended, run \`${UPDATE_COMMAND}\` and commit ${shown(reportDir)}/ with it (docs/api-report.md).`);
    }
    return { ok: messages.length === 0, messages };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Rewrites `reportDir` from the package's built types: reports of removed entry points are deleted. */
export function updateApiReports(packageDir: string, reportDir: string): { files: string[]; problems: ReportProblem[] } {
  const result = generateApiReports(packageDir, reportDir);
  for (const f of readdirSync(reportDir)) {
    if (f.endsWith('.api.md') && !result.files.includes(f)) rmSync(join(reportDir, f));
  }
  return result;
}

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

if (process.argv[1] !== undefined && basename(process.argv[1]).startsWith('api-report.')) {
  const reportDir = join(root, 'api');
  if (process.argv.includes('--check')) {
    const { ok, messages } = checkApiReports(root, reportDir);
    if (ok) console.log(`API reports in api/ match dist/ (${entryPoints(root).length} entry points).`);
    else console.error(messages.join('\n\n'));
    process.exitCode = ok ? 0 : 1;
  } else {
    const { files, problems } = updateApiReports(root, reportDir);
    for (const p of problems) console.error(`${p.entry}: ${p.text}`);
    console.log(`Wrote ${files.map((f) => `api/${f}`).join(', ')}`);
    process.exitCode = problems.length > 0 ? 1 : 0;
  }
}
