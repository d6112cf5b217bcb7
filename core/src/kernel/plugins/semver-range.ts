/**
 * A small semver range check for plugin manifests' `coreApi`: exact versions, ^, ~, >=, >, <=, <, =,
 * x-ranges (1.x, 1, *), space-separated comparators (AND) and `||` (OR). No prerelease tags.
 */

type Version = [number, number, number];
type Comparator = (v: Version) => boolean;

export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** true when `version` satisfies `range`; throws a TypeError for a range it cannot parse */
export function satisfiesRange(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (!v) throw new TypeError(`'${version}' is not a version (major.minor.patch)`);
  return range.split('||').some((set) => parseSet(set, range).every((c) => c(v)));
}

function parseSet(set: string, whole: string): Comparator[] {
  const parts = set.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw new TypeError(`empty version range in '${whole}'`);
  return parts.map((p) => parseComparator(p, whole));
}

function parseComparator(text: string, whole: string): Comparator {
  const m = /^(\^|~|>=|<=|>|<|=)?v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(text);
  if (!m) throw new TypeError(`cannot parse '${text}' in version range '${whole}'`);
  const op = m[1] ?? '';
  const nums = [m[2], m[3], m[4]].map((x) => (x === undefined || x === 'x' || x === '*' ? undefined : Number(x)));
  const given = nums.findIndex((n) => n === undefined);
  const precision = given === -1 ? 3 : given; // how many leading parts are fixed
  const base: Version = [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0];
  const lower = (v: Version) => compare(v, base) >= 0;
  switch (op) {
    case '^': {
      // ^1.2.3 := >=1.2.3 <2.0.0 ; ^0.2.3 := <0.3.0 ; ^0.0.3 := <0.0.4
      const lead = base[0] !== 0 || precision === 1 ? 0 : base[1] !== 0 || precision === 2 ? 1 : 2;
      const upper = bump(base, Math.min(lead, Math.max(precision - 1, 0)));
      return (v) => lower(v) && compare(v, upper) < 0;
    }
    case '~': {
      const upper = bump(base, precision >= 2 ? 1 : 0);
      return (v) => lower(v) && compare(v, upper) < 0;
    }
    case '>=':
      return lower;
    case '>':
      return precision === 3 ? (v) => compare(v, base) > 0 : (v) => compare(v, bump(base, precision - 1)) >= 0;
    case '<=':
      return precision === 3 ? (v) => compare(v, base) <= 0 : (v) => compare(v, bump(base, precision - 1)) < 0;
    case '<':
      return (v) => compare(v, base) < 0;
    default: {
      // exact, or an x-range: 1.x := >=1.0.0 <2.0.0, * := anything
      if (precision === 0) return () => true;
      if (precision === 3) return (v) => compare(v, base) === 0;
      const upper = bump(base, precision - 1);
      return (v) => lower(v) && compare(v, upper) < 0;
    }
  }
}

function bump(v: Version, index: number): Version {
  const out: Version = [v[0], v[1], v[2]];
  out[index]! += 1;
  for (let i = index + 1; i < 3; i++) out[i] = 0;
  return out;
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
