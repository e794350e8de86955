// Loaded into every test process (package.json "tap"."node-arg"). tap's
// @tapjs/processinfo keeps coverage bookkeeping (coverage is off here) and
// puts itself into every node child too, through NODE_OPTIONS and a spawn
// hook (process-on-spawn): ~0.7 CPU-s per child, and a suite run starts ~150
// node children (CLI runs, examples, worker storms). Children start plain.
const hook = globalThis[Symbol.for('process-on-spawn@*:singletonId')];
if (hook) hook.listeners.length = 0;
delete process.env.NODE_OPTIONS;
