import { type Section, machine, publish } from './lib/report.ts';

/** The sections of the bench, run in this order; name some on the command line to run only those. */
const SECTIONS: Record<string, () => Promise<{ default: Section }>> = {
  size: () => import('./size/size.ts'),
  client: () => import('./client/client-cost.ts'),
  collector: () => import('./collector/throughput.ts'),
  sinks: () => import('./sinks/sink-throughput.ts'),
  growth: () => import('./collector/growth.ts'),
  hostile: () => import('./hostile/hostile.ts'),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SECTIONS));
if (unknown.length) {
  console.error(`unknown section(s): ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}`);
  process.exit(2);
}

const startedAt = new Date();
console.log(`# trail bench — ${startedAt.toISOString()}\n\n${machine()}\n`);
let failed = false;
for (const [name, load] of Object.entries(SECTIONS)) {
  if (wanted.length && !wanted.includes(name)) continue;
  try {
    const section = (await load()).default;
    for (const table of await section()) console.log(publish(table, startedAt));
  } catch (error) {
    failed = true;
    console.error(`section ${name} failed:`, error);
  }
}
process.exit(failed ? 1 : 0);
