import { latencyFanOutFigures } from './fan-out.js';

const f = await latencyFanOutFigures({ consumers: Number(process.env.N ?? 40) });
console.log(
  JSON.stringify(
    f.map((x) => ({ r: x.ratio, d: x.details })),
    null,
    1,
  ),
);
