#!/usr/bin/env node
// Fails when an installed package needs a newer Node than this project promises. A production
// dependency must accept the oldest Node that the project's `engines.node` allows (a user on it must
// be able to run Sluice) and the running Node; a dev dependency only has to run on this Node.
// Open-ended ranges are not compared as sets: better-sqlite3 lists the majors it ships binaries for
// (`20.x || 22.x || …`), which no `>=` range is a subset of.
// Usage: node --import tsx scripts/check-engines.ts [project-root]   (default: the current directory)
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: unknown };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface InstalledPackage {
  /** Real path: the package's identity (the tree may be reached through a symlinked node_modules). */
  dir: string;
  /** Where it sits under the project, for messages. */
  path: string;
  manifest: Manifest;
}

export interface EngineProblem {
  /** `name@version` and where it is installed, relative to the project. */
  package: string;
  /** The package's `engines.node`. */
  requires: string;
  /** The Node versions it was checked against. */
  against: string;
  production: boolean;
}

function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/** Every package directory under `dir/node_modules`, nested ones included (`a/node_modules/b`). */
function installedPackages(dir: string, path = '', seen = new Set<string>()): InstalledPackage[] {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return [];
  const found: InstalledPackage[] = [];
  const visit = (packageDir: string): void => {
    const real = realpathSync(packageDir);
    if (seen.has(real)) return;
    seen.add(real);
    const manifest = readManifest(real);
    if (manifest === undefined) return;
    const packagePath = join(path, relative(dir, packageDir));
    found.push({ dir: real, path: packagePath, manifest });
    found.push(...installedPackages(real, packagePath, seen));
  };
  for (const entry of readdirSync(modules).sort()) {
    if (entry.startsWith('.')) continue; // .bin, .package-lock.json
    if (entry.startsWith('@')) {
      for (const scoped of readdirSync(join(modules, entry)).sort()) visit(join(modules, entry, scoped));
    } else {
      visit(join(modules, entry));
    }
  }
  return found;
}

/** Node's lookup: `name` in the nearest node_modules from `fromDir` up to the project root. */
function resolvePackage(name: string, fromDir: string, root: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === root) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function dependencyNames(manifest: Manifest): string[] {
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ];
}

/** Real paths of the packages reachable from the project's dependencies (not devDependencies).
 * Optional and peer dependencies that are not installed are skipped. */
function productionTree(root: string, rootManifest: Manifest): Set<string> {
  const production = new Set<string>();
  const queue: Array<[name: string, from: string]> = dependencyNames(rootManifest).map((name) => [name, root]);
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    const dir = resolvePackage(next[0], next[1], root);
    if (dir === undefined || production.has(dir)) continue;
    production.add(dir);
    const manifest = readManifest(dir);
    if (manifest) for (const name of dependencyNames(manifest)) queue.push([name, dir]);
  }
  return production;
}

/** The installed packages of the project at `rootDir` whose `engines.node` does not fit. */
export function findEngineProblems(rootDir: string, runningNode = process.version): EngineProblem[] {
  const root = realpathSync(resolve(rootDir));
  const rootManifest = readManifest(root);
  if (rootManifest === undefined) throw new Error(`no package.json in ${root}`);
  const projectRange = rootManifest.engines?.node;
  if (typeof projectRange !== 'string' || semver.validRange(projectRange) === null) {
    throw new Error(`package.json in ${root} has no valid engines.node range`);
  }
  const oldest = semver.minVersion(projectRange)!.version;
  const productionNodes = semver.satisfies(runningNode, projectRange) ? [oldest, runningNode] : [oldest];
  const production = productionTree(root, rootManifest);
  const problems: EngineProblem[] = [];
  for (const { dir, path, manifest } of installedPackages(root)) {
    const requires = manifest.engines?.node;
    if (typeof requires !== 'string' || requires.trim() === '' || requires.trim() === '*') continue;
    const isProduction = production.has(dir);
    const nodes = isProduction ? productionNodes : [runningNode];
    const fits = semver.validRange(requires) !== null && nodes.every((node) => semver.satisfies(node, requires));
    if (!fits) {
      problems.push({
        package: `${manifest.name ?? '?'}@${manifest.version ?? '?'} (${path})`,
        requires,
        against: isProduction ? `node ${nodes.join(' and ')} (engines.node ${projectRange})` : `node ${runningNode}`,
        production: isProduction,
      });
    }
  }
  return problems;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problems = findEngineProblems(process.argv[2] ?? process.cwd());
  for (const p of problems) {
    const kind = p.production ? 'dependency' : 'dev dependency';
    console.error(`engines: ${kind} ${p.package} needs node ${p.requires}, which excludes ${p.against}`);
  }
  if (problems.length > 0) process.exit(1);
  console.log('engines: every installed package accepts the Node versions it must run on');
}
