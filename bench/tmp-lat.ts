import { latencyFigures } from './latency.js';

const f = await latencyFigures({ runs: 2 });
console.log(
  JSON.stringify(
    f.map((x) => ({ n: x.name, r: x.ratio, d: x.details })),
    null,
    1,
  ),
);
